// syslog = 1: the real pooler sends its log lines to the local syslog daemon as well, with
// syslog_ident and syslog_facility, and a RELOAD turns it off, on, or renames it. A datagram
// socket of the test's stands in for /dev/log (POOLER_SYSLOG_SOCKET).
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class Syslog : public PoolerTest {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("pooler-it-syslog");
    chmod(dir_.c_str(), 0755);
    path_ = dir_ + "/log";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
    chmod(path_.c_str(), 0666);  // pooler runs as the test user
  }
  void TearDown() override {
    PoolerTest::TearDown();
    if (fd_ >= 0) close(fd_);
    remove_temp_dir(dir_);
  }

  PoolerOptions options(const std::string& ident, const std::string& facility) {
    PoolerOptions o;
    o.env = {"POOLER_SYSLOG_SOCKET=" + path_};
    o.extra_pooler_lines = {"syslog = 1", "syslog_ident = " + ident,
                            "syslog_facility = " + facility};
    return o;
  }

  // Datagrams until one contains `text` (returned), or "" after 10 s without it.
  std::string receive_until(const std::string& text) {
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10000) != 1) return "";
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return "";
      std::string d(buf, static_cast<size_t>(n));
      seen_.push_back(d);
      if (d.find(text) != std::string::npos) return d;
    }
  }

  std::string dir_, path_;
  int fd_ = -1;
  std::vector<std::string> seen_;
};

TEST_F(Syslog, LinesArriveWithIdentFacilityAndPriority) {
  start_pooler(options("pooler-it", "local3"));
  const std::string tag = "pooler-it[" + std::to_string(pooler().pid()) + "]: ";
  std::string up = receive_until("process up");
  ASSERT_FALSE(up.empty()) << pooler().log_tail();
  EXPECT_EQ(up.rfind("<158>", 0), 0u) << up;  // local3 (19 << 3) | info (6)
  EXPECT_NE(up.find(tag + "process up: pooler"), std::string::npos) << up;

  PqClient c = connect();
  EXPECT_EQ(c.value("select 1"), "1");
  std::string login = receive_until("login attempt");
  ASSERT_FALSE(login.empty()) << pooler().log_tail();
  EXPECT_NE(login.find(tag + "C-0x"), std::string::npos) << login;
  EXPECT_NE(login.find("app/alice@127.0.0.1:"), std::string::npos) << login;

  // A wrong password is a WARNING line: severity 4.
  PqClient bad = PqClient::connect("host=127.0.0.1 port=" + std::to_string(pooler().port()) +
                                   " user=alice password=wrong dbname=app");
  EXPECT_FALSE(bad.ok());
  std::string refused = receive_until("password authentication failed");
  ASSERT_FALSE(refused.empty()) << pooler().log_tail();
  EXPECT_EQ(refused.rfind("<156>", 0), 0u) << refused;  // local3 | warning

  // Syslog comes besides the usual log, not instead of it.
  EXPECT_NE(pooler().log().find("login attempt"), std::string::npos);

  // The daemon goes away: pooler goes on serving, and SHOW STATE counts the lost lines.
  close(fd_);
  fd_ = -1;
  unlink(path_.c_str());
  PqClient later = connect("bob");
  EXPECT_EQ(later.value("select 1"), "1");
  PqClient console = admin();
  auto state = [&](const std::string& key) {
    Rows rows = console.exec("SHOW STATE");
    return rows.at(rows.only("key", key), "value");
  };
  EXPECT_EQ(state("syslog"), "on");
  EXPECT_TRUE(poll_until([&] { return std::stol(state("syslog_dropped")) >= 1; }))
      << state("syslog_dropped");
}

TEST_F(Syslog, ReloadTurnsItOffAndOnAndChangesTheIdent) {
  start_pooler(options("pooler-it", "daemon"));
  ASSERT_FALSE(receive_until("process up").empty()) << pooler().log_tail();

  PoolerOptions off = options("pooler-it", "daemon");
  off.extra_pooler_lines = {"syslog = 0"};
  pooler().rewrite_config(off);
  admin().exec("RELOAD");
  {
    PqClient while_off = connect("bob");
    EXPECT_EQ(while_off.value("select 1"), "1");
  }
  ASSERT_TRUE(poll_until([&] { return pooler().log().find("app/bob@") != std::string::npos; }));

  pooler().rewrite_config(options("pooler-renamed", "local0"));
  admin().exec("RELOAD");
  PqClient after = connect("carol");
  std::string login = receive_until("app/carol@");
  ASSERT_FALSE(login.empty()) << pooler().log_tail();
  EXPECT_EQ(login.rfind("<134>", 0), 0u) << login;  // local0 (16 << 3) | info
  EXPECT_NE(login.find("pooler-renamed[" + std::to_string(pooler().pid()) + "]: "),
            std::string::npos)
      << login;
  // Nothing logged while syslog was off reached the socket: bob's login is in the file log
  // only.
  for (const std::string& d : seen_) EXPECT_EQ(d.find("app/bob@"), std::string::npos) << d;
}

TEST_F(Syslog, AnUnknownFacilityStopsTheStartNamingFileLineAndKey) {
  SpawnOptions spawn;
  spawn.output_path = dir_ + "/check.log";
  const std::string ini = dir_ + "/bad.ini";
  write_file(ini,
             "[databases]\napp = host=127.0.0.1\n[pgbouncer]\nsyslog = 1\n"
             "syslog_facility = kern\n");
  EXPECT_EQ(run({PoolerProcess::binary(), "--check-config", ini}, spawn), 78);
  const std::string out = read_file(dir_ + "/check.log");
  EXPECT_NE(out.find(ini + ":5: syslog_facility:"), std::string::npos) << out;
}

}  // namespace
}  // namespace pooler_test
