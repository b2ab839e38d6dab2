#pragma once
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <string_view>

#include "core/socket.h"

namespace pooler::systemd {

// One datagram socket to $NOTIFY_SOCKET, opened once. sd_notify() opens, sets up and
// closes a socket for every message (about a dozen system calls), and with the fd store on
// pooler sends one message per login and one per close.
class NotifySocket {
 public:
  // Reads NOTIFY_SOCKET: an absolute path or an abstract name ("@..."). Anything else (or
  // nothing) leaves it invalid.
  NotifySocket();

  bool valid() const { return socket_.valid(); }
  static constexpr size_t kMaxFds = 4;
  // One notification, with up to kMaxFds `fds` passed as SCM_RIGHTS. Without a socket of
  // its own (an address it does not handle, such as vsock:) it asks libsystemd. False if
  // the message could not be sent.
  bool send(std::string_view message, const int* fds = nullptr, size_t fd_count = 0) const;

 private:
  Socket socket_;
  sockaddr_un address_{};
  socklen_t address_length_ = 0;
};

}  // namespace pooler::systemd
