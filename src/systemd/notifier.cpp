#include "systemd/notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

namespace pooler::systemd {

Notifier::Notifier() {
  const char* socket = getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && socket[0] != '\0';
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  }
}

void Notifier::send(const std::string& message) {
  if (!enabled_) return;
  socket_.send(message);
}

void Notifier::ready() {
  send("READY=1");
}

void Notifier::reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec = static_cast<uint64_t>(ts.tv_sec) * 1000000u + ts.tv_nsec / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Notifier::stopping() {
  send("STOPPING=1");
}

void Notifier::extend_timeout(std::chrono::microseconds usec) {
  send("EXTEND_TIMEOUT_USEC=" + std::to_string(usec.count()));
}

void Notifier::status(const std::string& text) {
  if (text == last_status_) return;
  last_status_ = text;
  send("STATUS=" + text);
}

void Notifier::startup_failed(int error_number, const std::string& reason) {
  // STATUS= must be one line; the full errors are in the journal.
  std::string line = reason.substr(0, reason.find('\n'));
  send("STATUS=" + line + "\nERRNO=" + std::to_string(error_number));
}

void Notifier::watchdog() {
  send("WATCHDOG=1");
}

void Notifier::main_pid(int pid) {
  send("MAINPID=" + std::to_string(pid));
}

}  // namespace pooler::systemd
