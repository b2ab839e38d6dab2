// SyslogSink and the Logger's syslog lines, against a datagram socket standing in for
// /dev/log.
#include "core/syslog_sink.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/log.h"

namespace pooler {
namespace {

// A bound datagram socket at a fresh path: what a syslog daemon listens on.
class FakeSyslogDaemon {
 public:
  FakeSyslogDaemon() {
    path_ = std::string(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + "/pooler-syslog-test-" +
            std::to_string(getpid());
    start();
  }
  ~FakeSyslogDaemon() {
    stop();
    unlink(path_.c_str());
  }
  void start() {
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  void stop() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  const std::string& path() const { return path_; }
  bool bound() const { return bound_; }
  // The next datagram, or "" if none arrives within a second.
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 1000) != 1) return "";
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SyslogFacility, PgBouncersNamesMapToSyslogCodes) {
  EXPECT_EQ(syslog_facility_code("daemon"), LOG_DAEMON);
  EXPECT_EQ(syslog_facility_code("auth"), LOG_AUTH);
  EXPECT_EQ(syslog_facility_code("authpriv"), LOG_AUTHPRIV);
  EXPECT_EQ(syslog_facility_code("user"), LOG_USER);
  EXPECT_EQ(syslog_facility_code("local0"), LOG_LOCAL0);
  EXPECT_EQ(syslog_facility_code("local7"), LOG_LOCAL7);
  EXPECT_FALSE(syslog_facility_code("kern").has_value());
  EXPECT_FALSE(syslog_facility_code("").has_value());
}

TEST(SyslogDatagram, IsWhatGlibcSyslogSends) {
  std::tm t{};
  t.tm_mon = 10;  // November
  t.tm_mday = 5;
  t.tm_hour = 9;
  t.tm_min = 7;
  t.tm_sec = 3;
  EXPECT_EQ(format_syslog_datagram(LOG_DAEMON, LOG_INFO, t, "pgbouncer", 42, "hello"),
            "<30>Nov  5 09:07:03 pgbouncer[42]: hello");
  t.tm_mday = 25;
  EXPECT_EQ(format_syslog_datagram(LOG_LOCAL3, LOG_ERR, t, "pooler", 7, "C-0x1: db/u@x bad"),
            "<155>Nov 25 09:07:03 pooler[7]: C-0x1: db/u@x bad");
}

TEST(SyslogSink, SendsToTheDaemonAndReconnectsAfterItRestarts) {
  FakeSyslogDaemon daemon;
  ASSERT_TRUE(daemon.bound());
  SyslogSink sink("pooler-test", LOG_LOCAL1, daemon.path());
  sink.send(LOG_WARNING, "first");
  const std::string pid = "[" + std::to_string(getpid()) + "]: ";
  std::string got = daemon.receive();
  EXPECT_EQ(got.rfind("<140>", 0), 0u) << got;  // local1 (17 << 3) | warning (4)
  EXPECT_NE(got.find(" pooler-test" + pid + "first"), std::string::npos) << got;

  // The daemon goes away and comes back at the same path: the next line finds it.
  daemon.stop();
  sink.send(LOG_INFO, "lost");
  EXPECT_EQ(sink.dropped(), 1u);
  daemon.start();
  ASSERT_TRUE(daemon.bound());
  sink.send(LOG_INFO, "second");
  got = daemon.receive();
  EXPECT_NE(got.find("pooler-test" + pid + "second"), std::string::npos) << got;
  EXPECT_EQ(sink.dropped(), 1u);
}

TEST(SyslogSink, NoDaemonCountsDroppedLinesAndNeverBlocks) {
  SyslogSink sink("pooler-test", LOG_DAEMON, "/nonexistent/pooler-test/log");
  for (int i = 0; i < 3; ++i) sink.send(LOG_INFO, "nobody listens");
  EXPECT_EQ(sink.dropped(), 3u);
}

TEST(LoggerSyslog, LinesGoToSyslogWithTheirPriorityUntilItIsTurnedOff) {
  FakeSyslogDaemon daemon;
  ASSERT_TRUE(daemon.bound());
  setenv("POOLER_SYSLOG_SOCKET", daemon.path().c_str(), 1);
  Logger log;
  log.set_quiet(true);  // keep the test's stderr clean; syslog is unaffected by quiet
  log.configure_syslog(true, "pgb-test", "user");
  ASSERT_NE(log.syslog_sink(), nullptr);
  EXPECT_EQ(log.syslog_sink()->path(), daemon.path());
  POOLER_LOG(log, LogLevel::kLog, "login attempt: %s", "alice");
  POOLER_LOG(log, LogLevel::kError, "broken %d", 7);
  POOLER_LOG(log, LogLevel::kDebug, "not at this verbosity");
  EXPECT_NE(daemon.receive().find("<14>"), std::string::npos);  // user (8) | info (6)
  std::string err = daemon.receive();
  EXPECT_EQ(err.rfind("<11>", 0), 0u) << err;  // user | err (3)
  EXPECT_NE(err.find("pgb-test[" + std::to_string(getpid()) + "]: broken 7"), std::string::npos);

  // Same ident and facility again (a reload that changed nothing): the same sink.
  const SyslogSink* sink = log.syslog_sink();
  log.configure_syslog(true, "pgb-test", "user");
  EXPECT_EQ(log.syslog_sink(), sink);
  log.configure_syslog(false, "pgb-test", "user");
  EXPECT_EQ(log.syslog_sink(), nullptr);
  POOLER_LOG(log, LogLevel::kLog, "after syslog = 0");
  log.configure_syslog(true, "pgb-test2", "local0");
  POOLER_LOG(log, LogLevel::kLog, "back on");
  // The line logged while off never reached the daemon: the next datagram is the later one.
  std::string next = daemon.receive();
  EXPECT_EQ(next.rfind("<134>", 0), 0u) << next;  // local0 (16 << 3) | info
  EXPECT_NE(next.find("pgb-test2["), std::string::npos) << next;
  EXPECT_NE(next.find("back on"), std::string::npos) << next;
  unsetenv("POOLER_SYSLOG_SOCKET");
}

}  // namespace
}  // namespace pooler
