#include "systemd/fd_store.h"

#include <openssl/rand.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>

namespace pooler::systemd {

FdStore::FdStore(Logger& log) : log_(log) {
  const char* notify = getenv("NOTIFY_SOCKET");
  const char* max = getenv("POOLER_FD_STORE_MAX");
  if (notify && *notify && max) max_ = static_cast<size_t>(strtoull(max, nullptr, 10));
  // Names must not collide with those an earlier instance left in the store.
  RAND_bytes(reinterpret_cast<unsigned char*>(&prefix_), sizeof prefix_);
}

std::string FdStore::new_name(const char* role) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s-%08x%08llx", role, static_cast<unsigned>(prefix_ & 0xffffffffu),
           static_cast<unsigned long long>(++next_));
  return buf;
}

bool FdStore::store(int fd, const std::string& name) {
  if (!enabled()) return false;
  if (stored_ >= max_) {
    ++refused_;
    if (!full_logged_) {
      POOLER_LOG(log_, LogLevel::kWarning,
                 "fd store full (%zu of POOLER_FD_STORE_MAX=%zu): further connections will not "
                 "survive a restart",
                 stored_, max_);
      full_logged_ = true;
    }
    return false;
  }
  std::string msg = "FDSTORE=1\nFDNAME=" + name;
  if (!socket_.send(msg, &fd, 1)) {
    ++refused_;
    return false;
  }
  ++stored_;
  return true;
}

void FdStore::remove(const std::string& name) {
  if (!enabled() || name.empty()) return;
  remove_uncounted(name);
  if (stored_ > 0) --stored_;
  if (stored_ < max_) full_logged_ = false;
}

void FdStore::remove_uncounted(const std::string& name) {
  if (!enabled() || name.empty()) return;
  std::string msg = "FDSTOREREMOVE=1\nFDNAME=" + name;
  socket_.send(msg);
}

}  // namespace pooler::systemd
