// SHOW STATS and its siblings as PgBouncer answers them (column for column), averages over
// stats_period, and the log_stats line.
#include <string>
#include <vector>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class AdminStats : public PoolerTest {
 protected:
  int64_t stat(const std::string& view, const std::string& column) {
    Rows rows = admin().exec(view);
    return std::stoll(rows.at(rows.only("database", "app"), column));
  }
};

TEST_F(AdminStats, TheStatsViewsHavePgBouncersColumns) {
  start_pooler();
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  PqClient a = admin();
  // As PgBouncer 1.18 names them.
  const std::vector<std::string> subset = {"database",       "xact_count", "query_count",
                                           "bytes_received", "bytes_sent", "xact_time",
                                           "query_time",     "wait_time"};
  EXPECT_EQ(subset, a.exec("SHOW STATS_TOTALS").columns);
  EXPECT_EQ(subset, a.exec("SHOW STATS_AVERAGES").columns);
  EXPECT_EQ((std::vector<std::string>{"database", "total_xact_count", "total_query_count",
                                      "total_received", "total_sent", "total_xact_time",
                                      "total_query_time", "total_wait_time", "avg_xact_count",
                                      "avg_query_count", "avg_recv", "avg_sent", "avg_xact_time",
                                      "avg_query_time", "avg_wait_time"}),
            a.exec("SHOW STATS").columns);
  Rows totals = a.exec("SHOW TOTALS");
  std::vector<std::string> names;
  for (size_t i = 0; i < totals.size(); ++i) names.push_back(totals.at(i, "name"));
  EXPECT_EQ((std::vector<std::string>{"total_xact_count", "total_query_count", "total_client_bytes",
                                      "total_server_bytes", "total_xact_time", "total_query_time",
                                      "total_wait_time", "avg_xact_count", "avg_query_count",
                                      "avg_client_bytes", "avg_server_bytes", "avg_xact_time",
                                      "avg_query_time", "avg_wait_time"}),
            names);
  EXPECT_GE(std::stoll(totals.at(totals.only("name", "total_query_count"), "value")), 1);
  EXPECT_EQ((std::vector<std::string>{"hostname", "ttl", "addrs"}),
            a.exec("SHOW DNS_HOSTS").columns);
  EXPECT_EQ((std::vector<std::string>{"zonename", "serial", "count"}),
            a.exec("SHOW DNS_ZONES").columns);
}

TEST_F(AdminStats, AveragesCoverTheLastStatsPeriodAndTotalsKeepCounting) {
  PoolerOptions options;
  options.extra_pooler_lines = {"stats_period = 1"};
  start_pooler(options);
  PqClient client = connect();
  for (int i = 0; i < 50; ++i) ASSERT_EQ("1", client.value("SELECT 1"));
  // The period that saw the queries ends: its averages appear.
  EXPECT_TRUE(poll_until([&] { return stat("SHOW STATS", "avg_query_count") > 0; }));
  EXPECT_GT(stat("SHOW STATS_AVERAGES", "xact_count"), 0);
  EXPECT_GT(stat("SHOW STATS_AVERAGES", "bytes_received"), 0);
  // A period without queries averages to nothing; the totals stay.
  EXPECT_TRUE(poll_until([&] { return stat("SHOW STATS", "avg_query_count") == 0; }));
  EXPECT_GE(stat("SHOW STATS_TOTALS", "query_count"), 50);
  EXPECT_GE(stat("SHOW STATS", "total_xact_count"), 50);
}

TEST_F(AdminStats, LogStatsWritesEachActiveDatabasesRatesEveryPeriod) {
  PoolerOptions options;
  options.extra_pooler_lines = {"stats_period = 1", "log_stats = 1"};
  start_pooler(options);
  PqClient client = connect();
  for (int i = 0; i < 20; ++i) ASSERT_EQ("1", client.value("SELECT 1"));
  EXPECT_TRUE(poll_until([&] {
    return std::regex_search(
        pooler().log(),
        std::regex(R"(stats: app: \d+ xacts/s, [1-9]\d* queries/s, in \d+ B/s, out \d+ B/s, )"
                   R"(xact \d+ us, query \d+ us, wait \d+ us)"));
  })) << pooler().log_tail();
}

}  // namespace
}  // namespace pooler_test
