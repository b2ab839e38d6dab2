// PgBouncer settings that shape how servers are handed out and what they see:
// server_round_robin and application_name_add_host.
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

}  // namespace
}  // namespace pooler_test
