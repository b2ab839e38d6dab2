#pragma once
#include <map>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/socket.h"
#include "systemd/slots_file.h"
#include "takeover/slot_recovery.h"

namespace pooler::takeover {

// The old side of a rolling takeover's safety net. The new process serves what it took at
// once, but until SHUTDOWN we keep our copy of every socket we gave it, and it keeps the
// state of each (the same crash-safe slots as the fd store's) in a region we created and
// sent it. If it dies before SHUTDOWN, we take back whatever its slots show in a known
// place, as a restart after a crash would; the rest is closed.
class HandoverCopies {
 public:
  // `peer_pid`: the new process, which must be gone before we touch its sockets again.
  static Result<std::unique_ptr<HandoverCopies>> create(size_t slots, int peer_pid);
  int peer_pid() const { return peer_pid_; }

  int region_fd() const { return region_->fd(); }
  size_t capacity() { return region_->slots().capacity(); }
  // A socket the peer confirmed it adopted: still open here, but we never read or write it.
  // `store_name`: its entry in systemd's fd store, if any, so that closing it removes that
  // entry even when the peer left no slot for it.
  void keep(int old_fd, Socket socket, std::string store_name) {
    kept_.emplace(old_fd, Copy{std::move(socket), std::move(store_name)});
  }
  size_t kept() const { return kept_.size(); }
  // The peer died before SHUTDOWN: what to take back; the rest is in `dropped`. Empties
  // this object. If the region cannot be read, everything is dropped and `error` says why.
  SlotRecovery recover(std::string* error);

 private:
  HandoverCopies(std::unique_ptr<systemd::SlotsFile> region, int peer_pid)
      : region_(std::move(region)), peer_pid_(peer_pid) {}
  std::unique_ptr<systemd::SlotsFile> region_;
  int peer_pid_;
  struct Copy {
    Socket socket;
    std::string store_name;
  };
  std::map<int, Copy> kept_;  // by our fd number, which the peer's slots name
};

}  // namespace pooler::takeover
