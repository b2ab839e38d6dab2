#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/socket.h"

namespace pooler::systemd {

// A listening socket handed over by systemd (socket activation, LISTEN_FDS).
struct InheritedListener {
  Socket socket;
  std::string name;     // FileDescriptorName=, or "unknown"
  std::string address;  // "127.0.0.1:6432" or "unix:/run/pooler/.s.PGSQL.6432"
  bool is_unix = false;
};

// Everything systemd passed at start: socket-unit listeners, and what an earlier instance
// left in the fd store (listeners, "client-*" and "server-*" connections, the "state" memfd).
struct InheritedFds {
  std::vector<InheritedListener> listeners;
  std::vector<std::pair<std::string, Socket>> connections;  // FDNAME -> connected socket
  Socket state;       // the "state" memfd of a graceful restart, if any
  Socket slots;       // the crash-safe "slots" memfd, if any
  Socket recovering;  // marker: an earlier start crashed while restoring
};

// Takes the fds systemd passed (and unsets LISTEN_FDS so children do not see them). An
// inherited fd that is neither a listening stream socket nor a stored connection or state is
// an error naming it.
Result<InheritedFds> take_listen_fds();

// The canonical address pooler would bind for a listen_addr entry or the unix socket, in
// the same form as InheritedListener::address, for matching.
// getsockname() of a listening socket, in the same form.
std::string address_of_listener(int fd);

std::vector<std::string> tcp_listen_addresses(const std::string& host, int port);
std::string unix_listen_address(const std::string& dir, int port);

}  // namespace pooler::systemd
