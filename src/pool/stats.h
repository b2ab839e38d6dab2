#pragma once
#include <chrono>
#include <cstdint>

namespace pooler::pool {

// Totals per database, as SHOW STATS reports them. Times in microseconds.
struct Stats {
  uint64_t xact_count = 0;
  uint64_t query_count = 0;
  uint64_t bytes_received = 0;  // from clients
  uint64_t bytes_sent = 0;      // to clients
  uint64_t xact_time_us = 0;
  uint64_t query_time_us = 0;
  uint64_t wait_time_us = 0;

  Stats& operator+=(const Stats& o) {
    xact_count += o.xact_count;
    query_count += o.query_count;
    bytes_received += o.bytes_received;
    bytes_sent += o.bytes_sent;
    xact_time_us += o.xact_time_us;
    query_time_us += o.query_time_us;
    wait_time_us += o.wait_time_us;
    return *this;
  }
  Stats operator-(const Stats& o) const {
    Stats d;
    d.xact_count = xact_count - o.xact_count;
    d.query_count = query_count - o.query_count;
    d.bytes_received = bytes_received - o.bytes_received;
    d.bytes_sent = bytes_sent - o.bytes_sent;
    d.xact_time_us = xact_time_us - o.xact_time_us;
    d.query_time_us = query_time_us - o.query_time_us;
    d.wait_time_us = wait_time_us - o.wait_time_us;
    return d;
  }
};

// PgBouncer's avg_* figures over one stats_period, from the totals at its start and end:
// transactions, queries and bytes per second; transaction and query time per transaction
// and per query; wait time per second. All zero for an empty period.
Stats averages_over(const Stats& end, const Stats& start, std::chrono::microseconds period);

}  // namespace pooler::pool
