// The command line: --version, --help, --check-config with good and bad files.
#include <arpa/inet.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "pooler_process.h"
#include "process_util.h"

namespace pooler_test {
namespace {

class CommandLine : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("pooler-cli"); }
  void TearDown() override { remove_temp_dir(dir_); }

  // Runs the binary as root (no server needed); returns its exit code, output in `out`.
  int run_pooler(const std::vector<std::string>& args, std::string* out) {
    std::vector<std::string> argv = {PoolerProcess::binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.as_test_user = false;
    options.output_path = dir_ + "/out.txt";
    int rc = run(argv, options);
    *out = read_file(options.output_path);
    return rc;
  }
  // Runs the binary under a launcher (e.g. systemd-socket-activate ... pooler ARGS).
  int run_pooler_via(const std::vector<std::string>& launcher, const std::vector<std::string>& args,
                     std::string* out) {
    std::vector<std::string> argv = launcher;
    argv.push_back(PoolerProcess::binary());
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.as_test_user = false;
    options.output_path = dir_ + "/out.txt";
    int rc = run(argv, options);
    *out = read_file(options.output_path);
    return rc;
  }
  std::string write_ini(const std::string& text) {
    std::string path = dir_ + "/pooler.ini";
    write_file(path, text);
    return path;
  }

  std::string dir_;
};

TEST_F(CommandLine, VersionPrintsTheVersion) {
  std::string out;
  EXPECT_EQ(0, run_pooler({"--version"}, &out));
  EXPECT_NE(out.find("pooler "), std::string::npos) << out;
}

TEST_F(CommandLine, HelpListsTheOptions) {
  std::string out;
  EXPECT_EQ(0, run_pooler({"--help"}, &out));
  for (const char* option : {"--check-config", "--daemon", "--verbose", "--quiet"}) {
    EXPECT_NE(out.find(option), std::string::npos) << option << " missing from:\n" << out;
  }
}

TEST_F(CommandLine, CheckConfigAcceptsAGoodFileWithASummary) {
  std::string ini = write_ini(
      "[databases]\napp = host=127.0.0.1 port=5432\n[pooler]\nlisten_addr = 127.0.0.1\n"
      "pool_mode = transaction\n");
  std::string out;
  EXPECT_EQ(0, run_pooler({"--check-config", ini}, &out)) << out;
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
  EXPECT_NE(out.find("transaction"), std::string::npos) << out;
}

TEST_F(CommandLine, CheckConfigRejectsABadValueNamingFileLineAndKey) {
  std::string ini = write_ini("[pooler]\nlisten_addr = 127.0.0.1\ndefault_pool_size = abc\n");
  std::string out;
  EXPECT_EQ(78, run_pooler({"--check-config", ini}, &out)) << out;
  EXPECT_NE(out.find(ini + ":3: default_pool_size"), std::string::npos) << out;
}

TEST_F(CommandLine, UnknownKeyIsOnlyAWarning) {
  std::string ini = write_ini("[pooler]\nlisten_addr = 127.0.0.1\nno_such_setting = 1\n");
  std::string out;
  EXPECT_EQ(0, run_pooler({"--check-config", ini}, &out)) << out;
  EXPECT_NE(out.find(ini + ":3"), std::string::npos) << out;
  EXPECT_NE(out.find("no_such_setting"), std::string::npos) << out;
}

TEST_F(CommandLine, StartWithABadConfigRefusesWithExitCode78) {
  std::string ini = write_ini("[pooler]\nlisten_addr = 127.0.0.1\npool_mode = sometimes\n");
  std::string out;
  EXPECT_EQ(78, run_pooler({ini}, &out)) << out;
  EXPECT_NE(out.find(ini + ":3: pool_mode"), std::string::npos) << out;
}

TEST_F(CommandLine, MissingConfigArgumentIsAUsageError) {
  std::string out;
  EXPECT_EQ(64, run_pooler({}, &out)) << out;
}

// An inherited fd that is not a listening stream socket (here a UDP socket passed the
// systemd way) is a clear startup error, not a silent misbehaviour.
TEST_F(CommandLine, InheritedNonStreamSocketIsAStartupError) {
  std::string ini =
      write_ini("[pooler]\nlisten_addr = 127.0.0.1\nlisten_port = " + std::to_string(free_port()) +
                "\nunix_socket_dir =\n");
  const int udp_port = free_port();
  SpawnOptions options;
  options.as_test_user = false;
  options.output_path = dir_ + "/out.txt";
  // systemd-socket-activate starts the program at the first datagram, passing the socket.
  pid_t pid = spawn({"/usr/bin/systemd-socket-activate", "--datagram", "-l",
                     "127.0.0.1:" + std::to_string(udp_port), PoolerProcess::binary(), ini},
                    options);
  int status = -1;
  ASSERT_TRUE(poll_until([&] {
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(udp_port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(udp, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    close(udp);
    return !still_running(pid, &status);
  }));
  std::string out = read_file(options.output_path);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("is not a listening stream socket"), std::string::npos) << out;
}
// -d without systemd: the command returns at once, the daemon keeps serving, logs go to
// the logfile and its pid to the pidfile.
TEST_F(CommandLine, DaemonModeDetachesAndServes) {
  const int port = free_port();
  const std::string ini = write_ini(
      "[databases]\n* = host=127.0.0.1 port=1\n[pooler]\nlisten_addr = 127.0.0.1\n"
      "listen_port = " +
      std::to_string(port) +
      "\nunix_socket_dir =\nauth_type = any\n"
      "logfile = " +
      dir_ + "/daemon.log\npidfile = " + dir_ + "/daemon.pid\n");
  std::string out;
  ASSERT_EQ(0, run_pooler({"-d", ini}, &out)) << out;
  ASSERT_TRUE(poll_until([&] { return !read_file(dir_ + "/daemon.pid").empty(); }));
  const pid_t daemon = static_cast<pid_t>(std::stol(read_file(dir_ + "/daemon.pid")));
  EXPECT_TRUE(tcp_port_accepts(port));
  EXPECT_NE(read_file(dir_ + "/daemon.log").find("process up"), std::string::npos);
  ASSERT_EQ(0, kill(daemon, SIGINT));
  EXPECT_TRUE(poll_until([&] { return kill(daemon, 0) != 0; }));
}

TEST_F(CommandLine, DaemonModeWithoutALogfileIsRefused) {
  std::string ini = write_ini("[pooler]\nlisten_addr = 127.0.0.1\nunix_socket_dir =\n");
  std::string out;
  EXPECT_EQ(78, run_pooler({"-d", ini}, &out)) << out;
  EXPECT_NE(out.find("needs a logfile"), std::string::npos) << out;
}

// unix_socket_group: the socket file pooler binds belongs to that group, so its members
// may connect under unix_socket_mode = 0770; an unknown group stops the start, named.
TEST_F(CommandLine, UnixSocketGroupOwnsTheSocketFile) {
  const std::string port = std::to_string(free_port());
  const group* test_group = getgrgid(test_user().gid);
  ASSERT_NE(nullptr, test_group);
  const std::string group_name = test_group->gr_name;
  std::string ini =
      write_ini("[databases]\n[pooler]\nunix_socket_dir = " + dir_ + "\nlisten_port = " + port +
                "\nunix_socket_mode = 0770\n" + "unix_socket_group = " + group_name + "\n");
  SpawnOptions options;
  options.as_test_user = false;  // root, so the group is another than its own
  options.output_path = dir_ + "/run.txt";
  pid_t pid = spawn({PoolerProcess::binary(), ini}, options);
  ASSERT_TRUE(poll_until([&] {
    return read_file(options.output_path).find("process up") != std::string::npos;
  })) << read_file(options.output_path);
  struct stat st {};
  const std::string socket_path = dir_ + "/.s.PGSQL." + port;
  EXPECT_EQ(0, stat(socket_path.c_str(), &st)) << socket_path;
  terminate(pid, SIGTERM, 10s);
  EXPECT_EQ(test_user().gid, st.st_gid);
  EXPECT_EQ(0770u, st.st_mode & 0777);

  ini = write_ini("[databases]\n[pooler]\nunix_socket_dir = " + dir_ + "\nlisten_port = " + port +
                  "\nunix_socket_group = no-such-group-here\n");
  std::string out;
  EXPECT_NE(0, run_pooler({ini}, &out));
  EXPECT_NE(std::string::npos, out.find("unix_socket_group: no such group \"no-such-group-here\""))
      << out;
}

}  // namespace
}  // namespace pooler_test
