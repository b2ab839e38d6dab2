#pragma once
#include <event2/event.h>
#include <event2/event_struct.h>

#include <chrono>
#include <memory>

namespace pooler {

// Owns the libevent base. One per Pooler, so tests can run several.
class EventLoop {
 public:
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  event_base* base() const noexcept { return base_.get(); }
  int run();  // until break_loop()
  void break_loop();

 private:
  std::unique_ptr<event_base, void (*)(event_base*)> base_;
};

// One libevent event embedded in its owner (no separate allocation); removed from
// the loop when destroyed.
class Event {
 public:
  using Callback = void (*)(evutil_socket_t fd, short what, void* arg);

  Event() noexcept = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { reset(); }

  void assign(EventLoop& loop, int fd, short flags, Callback cb, void* arg);
  void add(std::chrono::microseconds timeout = std::chrono::microseconds::zero());
  void remove();
  // Runs the callback on this loop iteration as if `what` had happened (for data a
  // library buffered that the fd will not signal again).
  void activate(short what);
  bool pending() const;
  bool assigned() const noexcept { return assigned_; }
  void reset();  // remove and forget

 private:
  struct event ev_ {};
  bool assigned_ = false;
};

}  // namespace pooler
