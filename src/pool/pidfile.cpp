#include "pool/pidfile.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace pooler::pool {

Result<void> Pidfile::check_not_running(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid > 0 && pid != getpid()) {
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) {
      return make_error("pidfile " + path + " names a running process (pid " + std::to_string(pid) +
                        "): is pooler already running? (use --takeover)");
    }
  }
  return {};
}

Result<Pidfile> Pidfile::create(const std::string& path) {
  {
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid && pid > 0 && pid != getpid()) {
      if (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) {
        return make_error("pidfile " + path + " names a running process (pid " +
                          std::to_string(pid) + "): is pooler already running?");
      }
    }
  }
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return make_error("cannot write pidfile " + tmp + ": " + strerror(errno));
    out << getpid() << "\n";
    if (!out.flush()) return make_error("cannot write pidfile " + tmp + ": " + strerror(errno));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return make_error("cannot rename " + tmp + " to " + path + ": " + strerror(err));
  }
  return Pidfile(path);
}

Pidfile::~Pidfile() {
  if (!path_.empty()) unlink(path_.c_str());
}

}  // namespace pooler::pool
