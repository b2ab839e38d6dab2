#pragma once
#include <chrono>
#include <string>

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

 private:
  void send(const std::string& message);
  bool enabled_ = false;
  std::chrono::microseconds watchdog_interval_{0};
  std::string last_status_;
};

}  // namespace pooler::systemd
