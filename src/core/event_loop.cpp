#include "core/event_loop.h"

#include <stdexcept>

namespace pooler {

EventLoop::EventLoop() : base_(event_base_new(), &event_base_free) {
  if (!base_) throw std::runtime_error("event_base_new failed");
}

int EventLoop::run() {
  return event_base_dispatch(base_.get());
}

void EventLoop::break_loop() {
  event_base_loopbreak(base_.get());
}

void Event::assign(EventLoop& loop, int fd, short flags, Callback cb, void* arg) {
  reset();
  event_assign(&ev_, loop.base(), fd, flags, cb, arg);
  assigned_ = true;
}

void Event::add(std::chrono::microseconds timeout) {
  if (!assigned_) return;
  if (timeout.count() > 0) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000000),
               static_cast<suseconds_t>(timeout.count() % 1000000)};
    event_add(&ev_, &tv);
  } else {
    event_add(&ev_, nullptr);
  }
}

void Event::remove() {
  if (assigned_) event_del(&ev_);
}

void Event::activate(short what) {
  if (assigned_) event_active(&ev_, what, 0);
}

bool Event::pending() const {
  return assigned_ && event_pending(&ev_, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, nullptr);
}

void Event::reset() {
  if (assigned_) {
    event_del(&ev_);
    assigned_ = false;
  }
}

}  // namespace pooler
