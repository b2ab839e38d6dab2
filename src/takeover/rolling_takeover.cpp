#include "takeover/rolling_takeover.h"

namespace pooler::takeover {

namespace {
// How long a connection that became idle in the old process waits for us at most.
constexpr auto kPollInterval = std::chrono::milliseconds(2);
}  // namespace

RollingTakeover::RollingTakeover(pool::Pooler& pooler, TakeoverClient& client, size_t still_busy,
                                 std::function<void()> done)
    : pooler_(pooler), client_(client), still_busy_(still_busy), done_(std::move(done)) {}

void RollingTakeover::start() {
  const auto timeout = pooler_.settings().takeover_timeout;
  deadline_ = std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  if (still_busy_ > 0) {
    POOLER_LOG(
        pooler_.log(), LogLevel::kLog,
        "takeover: serving; %zu connections (clients and servers) follow at their next idle moment",
        still_busy_);
  }
  timer_.assign(pooler_.loop(), -1, 0, &RollingTakeover::tick_cb, this);
  timer_.add(std::chrono::microseconds(1));
}

void RollingTakeover::tick_cb(evutil_socket_t, short, void* arg) {
  static_cast<RollingTakeover*>(arg)->tick();
}

void RollingTakeover::tick() {
  if (still_busy_ == 0) {
    finish();
    return;
  }
  if (std::chrono::steady_clock::now() > deadline_) {
    POOLER_LOG(pooler_.log(), LogLevel::kWarning,
               "takeover: %zu connections still busy in the old process after takeover_timeout; "
               "it ends them with 57P01",
               still_busy_);
    finish();
    return;
  }
  auto batch = client_.receive_batch();
  const bool got_some = batch && !client_.records().empty();
  if (got_some) {
    auto adopted = pooler_.adopt(std::move(client_.records()), std::move(client_.sockets()),
                                 client_.extra_state(), /*from_takeover_peer=*/true);
    if (!adopted) batch = adopted.error();
  }
  Result<size_t> busy = batch ? client_.release_batch() : Result<size_t>(batch.error());
  // Also when the release failed: if the old process died, they are ours; if it lives, it
  // stops us before it serves them again.
  pooler_.put_adopted_servers_to_work();
  if (!busy) {
    // The exchange broke. If the old process died, what it still held went with it and we
    // keep what we have; if it lives, it takes back what we took (and stops us first).
    POOLER_LOG(pooler_.log(), LogLevel::kWarning, "takeover: hand-over cut short: %s",
               busy.error().message.c_str());
    finish();
    return;
  }
  still_busy_ = busy.value();
  // Batches are bounded: after a full one, ask again as soon as our clients had a turn.
  timer_.add(got_some ? std::chrono::microseconds(1) : kPollInterval);
}

void RollingTakeover::finish() {
  timer_.reset();
  if (still_busy_ == 0) {
    POOLER_LOG(pooler_.log(), LogLevel::kLog,
               "takeover: every connection has moved; the old process can go");
  }
  pooler_.takeover_finished();
  done_();
}

}  // namespace pooler::takeover
