// PgBouncer's tcp_* settings on the sockets pooler accepts and opens, and so_reuseport on
// its listeners. The kernel shows each
// socket's pending timer in /proc/net/tcp: "tr" 2 is the keepalive timer and "tm->when" its
// time left in clock ticks (USER_HZ, 100 per second).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include "pooler_test.h"
#include "raw_connection.h"

namespace pooler_test {
namespace {

struct TcpSocket {
  int local_port = 0, remote_port = 0;
  int state = 0;  // 1: established
  int timer = 0;  // 0: none, 1: retransmit, 2: keepalive
  long ticks_left = 0;
};

std::vector<TcpSocket> ipv4_sockets() {
  std::vector<TcpSocket> out;
  std::istringstream in(read_file("/proc/net/tcp"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st, queues, timer;
    f >> sl >> local >> remote >> st >> queues >> timer;
    TcpSocket s;
    s.local_port = std::stoi(local.substr(local.find(':') + 1), nullptr, 16);
    s.remote_port = std::stoi(remote.substr(remote.find(':') + 1), nullptr, 16);
    s.state = std::stoi(st, nullptr, 16);
    s.timer = std::stoi(timer.substr(0, timer.find(':')), nullptr, 16);
    s.ticks_left = std::stol(timer.substr(timer.find(':') + 1), nullptr, 16);
    out.push_back(s);
  }
  return out;
}

// The pooler's own end of each client connection: its local port is the listening port.
std::vector<TcpSocket> pooler_client_ends(int pooler_port) {
  std::vector<TcpSocket> out;
  for (const TcpSocket& s : ipv4_sockets()) {
    if (s.state == 1 && s.local_port == pooler_port) out.push_back(s);
  }
  return out;
}

bool keepalive_within(const TcpSocket& s, int seconds) {
  return s.timer == 2 && s.ticks_left <= seconds * 100L;
}

class TcpOptions : public PoolerTest {};

TEST_F(TcpOptions, KeepaliveIdleTimeAppliesToClientAndServerSockets) {
  PoolerOptions options;
  options.extra_pooler_lines = {"tcp_keepalive = 1", "tcp_keepidle = 7", "tcp_keepintvl = 3",
                                "tcp_keepcnt = 4"};
  start_pooler(options);
  PqClient client = connect();
  ASSERT_EQ("1", client.value("SELECT 1"));
  // Idle now: each of pooler's ends carries a keepalive timer of at most 7 s. libpq's own
  // ends keep the kernel's 2 hours, so they cannot pass for the pooler's.
  EXPECT_TRUE(poll_until([&] {
    auto ends = pooler_client_ends(pooler().port());
    return ends.size() == 1 && keepalive_within(ends[0], 7);
  })) << "the pooler's end of the client connection has no 7 s keepalive";
  EXPECT_TRUE(poll_until([&] {
    for (const TcpSocket& s : ipv4_sockets()) {
      if (s.state == 1 && s.remote_port == pg().port() && keepalive_within(s, 7)) return true;
    }
    return false;
  })) << "no connection to PostgreSQL has a 7 s keepalive";
}

// tcp_defer_accept: the kernel keeps a connection that has sent nothing in SYN_RECV (state
// 3 in /proc/net/tcp) instead of handing it to pooler; its first bytes complete it.
TEST_F(TcpOptions, DeferAcceptHoldsASilentConnectionUntilItSendsSomething) {
  PoolerOptions options;
  options.extra_pooler_lines = {"tcp_defer_accept = 30"};
  start_pooler(options);
  auto state_of = [&](int client_port) {
    for (const TcpSocket& s : ipv4_sockets()) {
      if (s.local_port == pooler().port() && s.remote_port == client_port) return s.state;
    }
    return 0;
  };
  RawConnection silent(pooler().port());
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(poll_until([&] { return state_of(silent.local_port()) == 3; }))
      << "pooler's end is not held in SYN_RECV: " << state_of(silent.local_port());
  ASSERT_TRUE(silent.send_bytes(be32(8) + be32(80877103)));  // SSLRequest
  EXPECT_EQ(std::optional<char>('N'), silent.next_byte());
  EXPECT_EQ(1, state_of(silent.local_port()));

  // Turned off by a reload: the next silent connection is accepted at once.
  PoolerOptions off = options;
  off.extra_pooler_lines = {"tcp_defer_accept = 0"};
  pooler().rewrite_config(off);
  pooler().reload();
  ASSERT_TRUE(poll_until(
      [&] { return pooler().log().find("configuration reloaded") != std::string::npos; }));
  RawConnection second(pooler().port());
  ASSERT_TRUE(second.connected());
  EXPECT_TRUE(poll_until([&] { return state_of(second.local_port()) == 1; }))
      << "state " << state_of(second.local_port());
}

TEST_F(TcpOptions, KeepaliveOffLeavesClientSocketsWithoutTheTimer) {
  PoolerOptions options;
  options.extra_pooler_lines = {"tcp_keepalive = 0"};
  start_pooler(options);
  PqClient client = connect();
  ASSERT_EQ("1", client.value("SELECT 1"));
  // Once the reply is acknowledged no timer is left on the pooler's end.
  EXPECT_TRUE(poll_until([&] {
    auto ends = pooler_client_ends(pooler().port());
    return ends.size() == 1 && ends[0].timer == 0;
  })) << "the pooler's end of the client connection still has a timer";
}

// A second pooler on the same TCP port (its own Unix socket directory and pidfile): it
// starts only if both set so_reuseport. Returns its exit code, -1 if it is serving, -2 if it
// did neither within the deadline.
int second_pooler_on_the_same_port(PoolerProcess& first, const std::string& log_path, pid_t* pid) {
  const std::string dir = make_temp_dir("pooler-second");
  std::string ini = read_file(first.ini_path());
  ini = std::regex_replace(ini, std::regex("unix_socket_dir = .*"), "unix_socket_dir = " + dir);
  ini = std::regex_replace(ini, std::regex("pidfile = .*"), "pidfile = " + dir + "/pooler.pid");
  write_file(dir + "/pooler.ini", ini);
  chown((dir + "/pooler.ini").c_str(), test_user().uid, test_user().gid);
  SpawnOptions options;
  options.output_path = log_path;
  *pid = spawn({PoolerProcess::binary(), dir + "/pooler.ini"}, options);
  bool exited = false;
  int status = 0;
  const bool settled = poll_until([&] {
    exited = exited || !still_running(*pid, &status);
    return exited || read_file(log_path).find("process up") != std::string::npos;
  });
  remove_temp_dir(dir);
  if (exited) {
    *pid = -1;  // reaped
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }
  return settled ? -1 : -2;
}

TEST_F(TcpOptions, SoReuseportLetsASecondPoolerShareThePort) {
  PoolerOptions options;
  options.extra_pooler_lines = {"so_reuseport = 1"};
  start_pooler(options);
  pid_t second = -1;
  const std::string log = pooler().dir() + "/second.log";
  EXPECT_EQ(-1, second_pooler_on_the_same_port(pooler(), log, &second)) << read_file(log);
  EXPECT_NE(std::string::npos,
            read_file(log).find("listening on 127.0.0.1:" + std::to_string(pooler().port())))
      << read_file(log);
  terminate(second, SIGTERM, 10s);
  PqClient client = connect();  // the first still serves
  EXPECT_EQ("1", client.value("SELECT 1"));
}

TEST_F(TcpOptions, WithoutSoReuseportASecondPoolerOnThePortFailsToStart) {
  start_pooler();
  pid_t second = -1;
  const std::string log = pooler().dir() + "/second.log";
  const int status = second_pooler_on_the_same_port(pooler(), log, &second);
  EXPECT_GE(status, 0) << "the second pooler is serving";
  EXPECT_NE(0, status);
  EXPECT_NE(std::string::npos, read_file(log).find("Address already in use")) << read_file(log);
  terminate(second, SIGTERM, 10s);
}

}  // namespace
}  // namespace pooler_test
