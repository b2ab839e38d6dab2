#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "core/log.h"
#include "systemd/notify_socket.h"

namespace pooler::systemd {

// The service manager's file descriptor store (FDSTORE=1 / FDSTOREREMOVE=1): sockets kept
// there outlive the process, so `systemctl restart` hands them to the next instance.
// Enabled when NOTIFY_SOCKET is set and POOLER_FD_STORE_MAX (the unit's
// FileDescriptorStoreMax=, which systemd does not tell the service) is positive.
class FdStore {
 public:
  explicit FdStore(Logger& log);

  bool enabled() const { return max_ > 0; }
  // A unique FDNAME for a new connection: "<role>-<hex>" (no ':' allowed by systemd).
  std::string new_name(const char* role);
  // Returns false (and logs once) when the store is full or disabled.
  bool store(int fd, const std::string& name);
  void remove(const std::string& name);
  // Removes an entry this process does not count against its limit: one it handed on to a
  // takeover successor, or one it never adopted, and now closes for good.
  void remove_uncounted(const std::string& name);
  size_t stored() const { return stored_; }
  size_t capacity() const { return max_; }
  size_t refused() const { return refused_; }
  // Adopted entries that are already in the store count against the limit too.
  void count_existing(size_t n) { stored_ += n; }
  // Entries a takeover successor owns now: they count against its limit, not ours.
  void count_handed_on(size_t n) { stored_ -= std::min(n, stored_); }

 private:
  Logger& log_;
  NotifySocket socket_;
  size_t max_ = 0;
  size_t stored_ = 0;
  size_t refused_ = 0;
  bool full_logged_ = false;
  uint64_t prefix_ = 0;
  uint64_t next_ = 0;
};

}  // namespace pooler::systemd
