#include "pool/listener.h"

#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/address_list.h"
#include "pool/pooler.h"
#include "pool/tcp_options.h"

namespace pooler::pool {

Listener::Listener(Pooler& pooler, Socket socket, std::string description, bool is_unix)
    : pooler_(pooler),
      socket_(std::move(socket)),
      description_(std::move(description)),
      is_unix_(is_unix) {
  event_.assign(pooler_.loop(), socket_.fd(), EV_READ | EV_PERSIST, &Listener::accept_cb, this);
}

void Listener::enable() {
  if (!enabled_) {
    event_.add();
    enabled_ = true;
  }
}

void Listener::disable() {
  if (enabled_) {
    event_.remove();
    enabled_ = false;
  }
}

void Listener::accept_cb(evutil_socket_t, short, void* arg) {
  static_cast<Listener*>(arg)->accept_ready();
}

void Listener::accept_ready() {
  // A bounded batch keeps one busy listener from starving established connections.
  for (int i = 0; i < 64 && enabled_; ++i) {
    // accept4 reports the peer's address: no getpeername() per login.
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    int fd = ::accept4(socket_.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      if (errno == ECONNABORTED) continue;
      POOLER_LOG(pooler_.log(), LogLevel::kWarning, "accept() on %s failed: %s",
                 description_.c_str(), strerror(errno));
      return;
    }
    if (!is_unix_) apply_tcp_settings(fd, pooler_.settings());
    pooler_.accept_client(Socket(fd), is_unix_,
                          address_from_sockaddr(reinterpret_cast<sockaddr*>(&peer), peer_len));
  }
}

Result<BoundSocket> bind_tcp_listener(const std::string& host, int port,
                                      const config::Settings& settings) {
  auto addresses = AddressList::for_bind(host, port);
  if (!addresses) return make_error("listen_addr " + host + ": " + addresses.error().message);
  std::string description = (host.empty() ? "*" : host) + ":" + std::to_string(port);
  Result<BoundSocket> result = make_error("listen_addr " + host + ": no usable address");
  for (const addrinfo& ai : *addresses) {
    int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    Socket sock(fd);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Several pooler processes on one port, the kernel spreading connections between them.
    if (settings.so_reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (ai.ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
      result = make_error("could not listen on " + description + ": " + strerror(errno));
      continue;
    }
    apply_listener_tcp_settings(fd, settings);
    if (::listen(fd, settings.listen_backlog) != 0) {
      result = make_error("could not listen on " + description + ": " + strerror(errno));
      continue;
    }
    result = BoundSocket{std::move(sock), description};
    break;
  }
  return result;
}

Result<BoundSocket> bind_unix_listener(const std::string& dir, int port, int mode, int backlog,
                                       const std::string& socket_group) {
  std::string path = dir + "/.s.PGSQL." + std::to_string(port);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) return make_error("unix socket path too long: " + path);
  memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket(): " + std::string(strerror(errno)));
  Socket sock(fd);
  // A leftover socket file is removed only if nobody answers on it.
  if (access(path.c_str(), F_OK) == 0) {
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    Socket probe_sock(probe);
    if (probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0) {
      return make_error("unix socket " + path + " is in use by another process");
    }
    unlink(path.c_str());
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    return make_error("could not bind unix socket " + path + ": " + strerror(errno));
  }
  chmod(path.c_str(), static_cast<mode_t>(mode));
  if (!socket_group.empty()) {
    struct group gr {};
    struct group* found = nullptr;
    std::array<char, 4096> buf{};
    if (getgrnam_r(socket_group.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
      unlink(path.c_str());
      return make_error("unix_socket_group: no such group \"" + socket_group + "\"");
    }
    if (chown(path.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0) {
      const std::string why = strerror(errno);
      unlink(path.c_str());
      return make_error("unix_socket_group: could not give " + path + " to group \"" +
                        socket_group + "\": " + why);
    }
  }
  if (::listen(fd, backlog) != 0) {
    return make_error("could not listen on " + path + ": " + strerror(errno));
  }
  return BoundSocket{std::move(sock), "unix:" + path};
}

}  // namespace pooler::pool
