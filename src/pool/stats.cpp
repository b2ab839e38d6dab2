#include "pool/stats.h"

namespace pooler::pool {

Stats averages_over(const Stats& end, const Stats& start, std::chrono::microseconds period) {
  Stats avg;
  if (period.count() <= 0) return avg;
  const Stats d = end - start;
  const auto us = static_cast<uint64_t>(period.count());
  auto per_second = [us](uint64_t v) { return v * 1000000 / us; };
  avg.xact_count = per_second(d.xact_count);
  avg.query_count = per_second(d.query_count);
  avg.bytes_received = per_second(d.bytes_received);
  avg.bytes_sent = per_second(d.bytes_sent);
  avg.xact_time_us = d.xact_count ? d.xact_time_us / d.xact_count : 0;
  avg.query_time_us = d.query_count ? d.query_time_us / d.query_count : 0;
  avg.wait_time_us = per_second(d.wait_time_us);
  return avg;
}

}  // namespace pooler::pool
