#include "takeover/systemd_reload.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "core/process.h"
#include "core/socket.h"

namespace pooler::takeover {

void announce_new_main_process(systemd::Notifier& notifier) {
  notifier.main_pid(getpid());
  notifier.ready();
  // Make sure the manager has processed MAINPID= before the old main exits, or it would
  // consider the service dead.
  sd_notify_barrier(0, 5 * 1000000ULL);
}

int run_takeover_under_systemd_reload(Logger& log, systemd::Notifier& notifier, int old_main_pid,
                                      const std::function<int(int status_fd)>& daemon_main) {
  notifier.reloading();
  // RELOADING=1 holds the unit in "reloading" until somebody sends READY=1. When the
  // takeover fails, the old process is still the main one and serving: say so, or the unit
  // stays "reloading" and every later systemctl job queues behind it.
  auto fail = [&notifier] {
    notifier.ready();
    sd_notify_barrier(0, 5 * 1000000ULL);  // delivered before we exit, whatever systemd's order
    return 1;
  };
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    POOLER_LOG(log, LogLevel::kFatal, "reload: pipe: %s", strerror(errno));
    return fail();
  }
  // The daemon reports "ok" or why it failed on the write end.
  Socket report_in(pipefd[0]);
  Socket report_out(pipefd[1]);
  pid_t child = fork();
  if (child < 0) {
    POOLER_LOG(log, LogLevel::kFatal, "reload: fork: %s", strerror(errno));
    return fail();
  }
  if (child == 0) {
    report_in.reset();
    setsid();
    pid_t daemon = fork();
    if (daemon != 0) _exit(daemon < 0 ? 1 : 0);  // the middle process: re-parent the daemon
    // The daemon owns the write end from here; nothing may unwind into our caller's code.
    try {
      _exit(daemon_main(report_out.release()));
    } catch (...) {
      _exit(1);
    }
  }
  report_out.reset();  // EOF on report_in once the daemon is done with it
  int status = 0;
  waitpid(child, &status, 0);
  // Lines: "main" once the daemon is about to send MAINPID=, "shutdown" just before it
  // sends SHUTDOWN, then "ok" or why it failed.
  std::string report, received;
  bool became_main = false, old_told_to_leave = false;
  char buf[512];
  for (bool done = false; !done;) {
    ssize_t n = read(report_in.fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the daemon died or finished without a word
    received.append(buf, static_cast<size_t>(n));
    for (size_t nl; !done && (nl = received.find('\n')) != std::string::npos;) {
      std::string line = received.substr(0, nl);
      received.erase(0, nl + 1);
      if (line == "main") {
        became_main = true;
      } else if (line == "shutdown") {
        old_told_to_leave = true;
      } else {
        report = std::move(line);
        done = true;
      }
    }
  }
  report_in.reset();
  if (report.rfind("ok", 0) != 0) {
    const std::string reason =
        report.empty() ? "the new process exited during the takeover" : report;
    // "shutdown" came just before SHUTDOWN was sent, not once it was read: the old process
    // may have given up on the new one first (suspend_timeout) and serve on. One that took
    // SHUTDOWN leaves at once, so whether it is leaving shows within a few seconds.
    const bool old_left = old_told_to_leave ? wait_until_gone(old_main_pid, std::chrono::seconds(3))
                                            : !process_running(old_main_pid);
    if (became_main && old_left) {
      // Nobody to go back to: the service has lost its main process.
      POOLER_LOG(log, LogLevel::kError,
                 "reload failed after the old process was told to shut down; no process is "
                 "left to serve: %s",
                 reason.c_str());
      return 1;
    } else if (became_main) {
      // It died between MAINPID= and SHUTDOWN: the old process is alive, takes back what it
      // had given, and must be the main process again before this command returns.
      notifier.main_pid(old_main_pid);
      POOLER_LOG(log, LogLevel::kError,
                 "reload failed after the new process had become the main process; main "
                 "process %d again, the old process keeps serving: %s",
                 old_main_pid, reason.c_str());
    } else {
      POOLER_LOG(log, LogLevel::kError, "reload failed, the old process keeps serving: %s",
                 reason.c_str());
    }
    return fail();
  }
  // The new daemon is the main process now; return once the old one is really gone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (old_main_pid > 0 && process_running(old_main_pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      POOLER_LOG(log, LogLevel::kError, "reload: old main process %d did not exit", old_main_pid);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  POOLER_LOG(log, LogLevel::kLog, "reload: takeover complete, old process %d has exited",
             old_main_pid);
  return 0;
}

}  // namespace pooler::takeover
