#pragma once
#include <chrono>
#include <cstddef>
#include <functional>

#include "core/event_loop.h"
#include "pool/pooler.h"
#include "takeover/takeover_client.h"

namespace pooler::takeover {

// The rest of a rolling takeover, run from the new process's loop while it already
// serves the listeners and the connections of the first batch. Every few milliseconds it
// asks the old process for the connections that reached an idle moment since, adopts
// them and confirms; when none are left, or takeover_timeout has run out (the old
// process then ends what is still busy with 57P01), it calls `done`.
class RollingTakeover {
 public:
  RollingTakeover(pool::Pooler& pooler, TakeoverClient& client, size_t still_busy,
                  std::function<void()> done);
  RollingTakeover(const RollingTakeover&) = delete;
  RollingTakeover& operator=(const RollingTakeover&) = delete;

  void start();

 private:
  static void tick_cb(evutil_socket_t, short, void* arg);
  void tick();
  void finish();

  pool::Pooler& pooler_;
  TakeoverClient& client_;
  size_t still_busy_;
  std::function<void()> done_;
  std::chrono::steady_clock::time_point deadline_{};
  Event timer_;
};

}  // namespace pooler::takeover
