// PgBouncer settings that shape how servers are handed out, what they see and what
// clients may send, and how long unused databases live: server_round_robin,
// application_name_add_host, disable_pqexec, log_pooler_errors and autodb_idle_timeout.
#include <regex>
#include <set>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class PoolSettings : public PoolerTest {
 protected:
  // Two idle servers in app's pool: two transactions open at once, then both commit.
  void make_two_idle_servers() {
    PqClient a = connect(), b = connect();
    a.exec("BEGIN");
    b.exec("BEGIN");
    EXPECT_NE(a.value("SELECT pg_backend_pid()"), b.value("SELECT pg_backend_pid()"));
    a.exec("COMMIT");
    b.exec("COMMIT");
    ASSERT_TRUE(poll_until([&] { return pool_stat("sv_idle") == "2"; }));
  }
  std::set<std::string> backends_of_four_queries() {
    PqClient c = connect();
    std::set<std::string> pids;
    for (int i = 0; i < 4; ++i) pids.insert(c.value("SELECT pg_backend_pid()"));
    return pids;
  }
};

TEST_F(PoolSettings, ByDefaultTheMostRecentlyUsedServerServesAgain) {
  start_pooler();
  make_two_idle_servers();
  EXPECT_EQ(1u, backends_of_four_queries().size());
}

TEST_F(PoolSettings, ServerRoundRobinTakesTurns) {
  PoolerOptions options;
  options.extra_pooler_lines = {"server_round_robin = 1"};
  start_pooler(options);
  make_two_idle_servers();
  EXPECT_EQ(2u, backends_of_four_queries().size());
}

TEST_F(PoolSettings, ApplicationNameAddHostAppendsTheClientsAddress) {
  PoolerOptions options;
  options.extra_pooler_lines = {"application_name_add_host = 1"};
  start_pooler(options);
  PqClient c = PqClient::connect(pooler().conninfo("alice", "app") + " application_name=myapp");
  ASSERT_TRUE(c.ok()) << c.connect_error();
  const std::string seen =
      c.value("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
  EXPECT_TRUE(std::regex_match(seen, std::regex(R"(myapp - 127\.0\.0\.1:\d+)"))) << seen;
  EXPECT_EQ(seen, c.value("SHOW application_name"));
}

TEST_F(PoolSettings, DisablePqexecClosesAClientThatSendsASimpleQuery) {
  PoolerOptions options;
  options.extra_pooler_lines = {"disable_pqexec = 1"};
  start_pooler(options);
  PqClient extended = connect();
  // Parse/Bind/Execute: allowed.
  extended.prepare("add", "SELECT $1::int + 1");
  EXPECT_EQ("3", extended.exec_prepared("add", {"2"}));
  PqClient simple = connect();
  EXPECT_EQ("08P01", simple.expect_error("SELECT 1"));
  EXPECT_NE(simple.last_error().find("PQexec disallowed"), std::string::npos)
      << simple.last_error();
  EXPECT_EQ("4", extended.exec_prepared("add", {"3"}));  // only that client went
}

TEST_F(PoolSettings, PoolerErrorsAreLoggedUnlessLogPoolerErrorsIsOff) {
  for (bool on : {true, false}) {
    PoolerOptions options;
    options.extra_pooler_lines = {std::string("log_pooler_errors = ") + (on ? "1" : "0")};
    start_pooler(options);
    // A wrong password: pooler itself refuses the login. Its log line (stderr, unbuffered)
    // is written before the error is sent.
    PqClient refused = PqClient::connect("host=127.0.0.1 port=" + std::to_string(pooler().port()) +
                                         " user=alice dbname=app password=wrong");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ("28P01", refused.connect_sqlstate());
    const bool logged = pooler().log().find("pooler error: ") != std::string::npos;
    EXPECT_EQ(on, logged) << pooler().log_tail();
  }
}

TEST_F(PoolSettings, AutodbIdleTimeoutDropsUnusedDatabasesMadeFromTheWildcard) {
  PoolerOptions options;
  options.extra_pooler_lines = {"autodb_idle_timeout = 1"};
  start_pooler(options);
  auto databases = [&] {
    std::set<std::string> names;
    Rows rows = admin().exec("SHOW DATABASES");
    for (size_t i = 0; i < rows.size(); ++i) names.insert(rows.at(i, "name"));
    return names;
  };
  // "postgres" and "template1" come from "*": one keeps a client, the other is left.
  PqClient staying = connect("alice", "postgres");
  EXPECT_EQ("postgres", staying.value("SELECT current_database()"));
  {
    PqClient leaving = connect("alice", "template1");
    EXPECT_EQ("template1", leaving.value("SELECT current_database()"));
  }
  EXPECT_TRUE(poll_until([&] { return databases().count("template1") == 0; }))
      << "template1 was never dropped";
  // Both had the same timeout, and the one with a client stays; so do [databases] entries.
  EXPECT_EQ(1u, databases().count("postgres"));
  EXPECT_EQ(1u, databases().count("app"));
  EXPECT_EQ("postgres", staying.value("SELECT current_database()"));
  // A new client brings it back.
  PqClient again = connect("alice", "template1");
  EXPECT_EQ("template1", again.value("SELECT current_database()"));
}

}  // namespace
}  // namespace pooler_test
