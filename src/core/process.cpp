#include "core/process.h"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <thread>

namespace pooler {

bool process_running(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  // It exists; /proc tells a zombie apart. If /proc cannot say (not mounted, hidden, or
  // the process left in between), kill() decides: a live process is never taken for gone.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return !(kill(pid, 0) != 0 && errno == ESRCH);
  auto close_paren = line.rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= line.size() ||
         line[close_paren + 2] != 'Z';
}

bool wait_until_gone(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (process_running(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace pooler
