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

}  // namespace
}  // namespace pooler_test
