#pragma once
#include <chrono>
#include <string>

#include "systemd/notify_socket.h"

namespace pooler::systemd {

// Talks to the service manager over $NOTIFY_SOCKET (sd_notify). Every call is a no-op
// without systemd, so the same binary runs with and without it.
class Notifier {
 public:
  Notifier();  // reads NOTIFY_SOCKET and WATCHDOG_USEC once

  bool enabled() const { return enabled_; }
  void ready();
  void reloading();  // RELOADING=1 with MONOTONIC_USEC, as systemd.service(5) asks
  void stopping();
  void extend_timeout(std::chrono::microseconds usec);
  void status(const std::string& text);  // sends only when the text changed
  void startup_failed(int error_number, const std::string& reason);
  void watchdog();
  void main_pid(int pid);
  // Half the watchdog interval (systemd's advice), or zero when no watchdog is set.
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }
  // The full WatchdogSec= of the unit (0 if none), to hand to a successor.
  std::chrono::microseconds watchdog_usec() const { return watchdog_interval_ * 2; }
  // A takeover's new process: systemd sets WATCHDOG_USEC only for the process it started,
  // so the old process tells us. Ignored when our environment already had one.
  void adopt_watchdog_usec(std::chrono::microseconds usec) {
    if (watchdog_interval_.count() == 0) watchdog_interval_ = usec / 2;
  }

 private:
  void send(const std::string& message);
  NotifySocket socket_;
  bool enabled_ = false;
  std::chrono::microseconds watchdog_interval_{0};
  std::string last_status_;
};

}  // namespace pooler::systemd
