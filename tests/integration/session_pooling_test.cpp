// pool_mode = session: a client keeps one server for its whole session.
#include "pooler_test.h"

namespace pooler_test {
namespace {

class SessionPooling : public PoolerTest {
 protected:
  void SetUp() override {
    PoolerOptions options;
    options.pool_mode = "session";
    start_pooler(options);
  }
};

TEST_F(SessionPooling, TempTableSurvivesAcrossStatements) {
  PqClient client = connect();
  client.exec("CREATE TEMP TABLE notes (x int)");
  client.exec("INSERT INTO notes VALUES (1)");
  client.exec("INSERT INTO notes VALUES (2)");
  EXPECT_EQ("2", client.value("SELECT count(*) FROM notes"));
}

TEST_F(SessionPooling, ConcurrentClientsGetDistinctServers) {
  PqClient a = connect();
  PqClient b = connect();
  EXPECT_NE(a.value("SELECT pg_backend_pid()"), b.value("SELECT pg_backend_pid()"));
}

TEST_F(SessionPooling, NextSessionDoesNotInheritTheLastOnesState) {
  {
    PqClient a = connect();
    a.exec("CREATE TEMP TABLE leftover (x int)");
    a.exec("SET TimeZone = 'Asia/Tokyo'");
  }
  PqClient b = connect();
  EXPECT_EQ("0", b.value("SELECT count(*) FROM pg_class WHERE relname = 'leftover' AND "
                         "relpersistence = 't'"));
  EXPECT_NE("Asia/Tokyo", b.value("SHOW TimeZone"));
}

}  // namespace
}  // namespace pooler_test

namespace pooler_test {
namespace {

class SessionNotifications : public PoolerTest {};

TEST_F(SessionNotifications, ListenerReceivesNotifyFromAnotherClient) {
  PoolerOptions options;
  options.pool_mode = "session";
  start_pooler(options);
  PqClient listener = connect();
  PqClient sender = connect();
  listener.exec("LISTEN pooler_channel");
  sender.exec("NOTIFY pooler_channel, 'hello'");
  PGnotify* note = nullptr;
  EXPECT_TRUE(poll_until([&] {
    PQconsumeInput(listener.raw());
    note = PQnotifies(listener.raw());
    return note != nullptr;
  }));
  ASSERT_NE(nullptr, note);
  EXPECT_STREQ("pooler_channel", note->relname);
  EXPECT_STREQ("hello", note->extra);
  PQfreemem(note);
}

// server_fast_close: after RECONNECT a session's server goes at its next transaction
// boundary, and the session with it (57P01, which drivers reconnect on); without it, the
// session keeps its server to the end.
class ServerFastClose : public PoolerTest {
 protected:
  void start(bool fast_close) {
    PoolerOptions options;
    options.pool_mode = "session";
    if (fast_close) options.extra_pooler_lines = {"server_fast_close = 1"};
    start_pooler(options);
  }
};

TEST_F(ServerFastClose, AnIdleSessionEndsAtOnce) {
  start(true);
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  admin().exec("RECONNECT app");
  EXPECT_NE("no error", client.expect_error("SELECT 2"));
  // libpq shows the FATAL at once if it was waiting for it, else as a notice while idle
  // and then only "server closed the connection": the reason is in pooler's log either way.
  EXPECT_NE(std::string::npos, pooler().log().find("server_fast_close")) << pooler().log_tail();
  PqClient fresh = connect();
  EXPECT_EQ("3", fresh.value("SELECT 3"));
}

TEST_F(ServerFastClose, ATransactionCommitsFirst) {
  pg().sql("CREATE TABLE IF NOT EXISTS fast_close_rows (x int)", "app");
  pg().sql("GRANT ALL ON fast_close_rows TO alice", "app");
  pg().sql("TRUNCATE fast_close_rows", "app");
  start(true);
  PqClient client = connect();
  client.exec("BEGIN");
  client.exec("INSERT INTO fast_close_rows VALUES (1)");
  admin().exec("RECONNECT app");
  client.exec("COMMIT");  // answered in full before the session ends
  EXPECT_NE("no error", client.expect_error("SELECT 2"));
  // libpq shows the FATAL at once if it was waiting for it, else as a notice while idle
  // and then only "server closed the connection": the reason is in pooler's log either way.
  EXPECT_NE(std::string::npos, pooler().log().find("server_fast_close")) << pooler().log_tail();
  EXPECT_EQ("1", connect().value("SELECT count(*) FROM fast_close_rows"));
  pg().sql("DROP TABLE fast_close_rows", "app");
}

TEST_F(ServerFastClose, WithoutItTheSessionKeepsItsServer) {
  start(false);
  PqClient client = connect();
  const std::string pid = client.value("SELECT pg_backend_pid()");
  admin().exec("RECONNECT app");
  EXPECT_EQ(pid, client.value("SELECT pg_backend_pid()"));
}

}  // namespace
}  // namespace pooler_test
