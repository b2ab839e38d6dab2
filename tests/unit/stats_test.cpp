// PgBouncer's avg_* figures from two snapshots of the totals.
#include "pool/stats.h"

#include <gtest/gtest.h>

namespace pooler {
namespace {

TEST(StatsAveragesTest, RatesPerSecondAndTimesPerTransactionAndQuery) {
  pool::Stats start;
  start.xact_count = 100;
  start.query_count = 300;
  start.bytes_received = 1000;
  start.bytes_sent = 5000;
  start.xact_time_us = 9999;
  start.query_time_us = 7777;
  start.wait_time_us = 123;
  pool::Stats end = start;
  end.xact_count += 120;          // over 2 s: 60/s
  end.query_count += 240;         // 120/s
  end.bytes_received += 4000;     // 2000 B/s
  end.bytes_sent += 10000;        // 5000 B/s
  end.xact_time_us += 120 * 50;   // 50 us per transaction
  end.query_time_us += 240 * 20;  // 20 us per query
  end.wait_time_us += 3000;       // 1500 us of waiting per second
  pool::Stats avg = pool::averages_over(end, start, std::chrono::seconds(2));
  EXPECT_EQ(60u, avg.xact_count);
  EXPECT_EQ(120u, avg.query_count);
  EXPECT_EQ(2000u, avg.bytes_received);
  EXPECT_EQ(5000u, avg.bytes_sent);
  EXPECT_EQ(50u, avg.xact_time_us);
  EXPECT_EQ(20u, avg.query_time_us);
  EXPECT_EQ(1500u, avg.wait_time_us);
}

TEST(StatsAveragesTest, AnIdlePeriodOrAnEmptyOneAveragesToZero) {
  pool::Stats totals;
  totals.xact_count = 5;
  totals.xact_time_us = 500;
  pool::Stats idle = pool::averages_over(totals, totals, std::chrono::seconds(60));
  EXPECT_EQ(0u, idle.xact_count);
  EXPECT_EQ(0u, idle.xact_time_us);  // no transaction: no division by zero
  pool::Stats none = pool::averages_over(totals, pool::Stats{}, std::chrono::seconds(0));
  EXPECT_EQ(0u, none.xact_count);
}

}  // namespace
}  // namespace pooler
