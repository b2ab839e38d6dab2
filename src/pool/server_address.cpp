#include "pool/server_address.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "pool/tcp_options.h"

namespace pooler::pool {

namespace {
// Debian's PostgreSQL puts its socket here; PgBouncer's compiled-in default is /tmp.
constexpr const char* kDefaultSocketDir = "/var/run/postgresql";

Result<PendingConnect> start_connect(int family, const sockaddr* sa, socklen_t len,
                                     std::string description, const config::Settings& settings) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket(): " + std::string(strerror(errno)));
  PendingConnect pc;
  pc.socket = Socket(fd);
  pc.description = std::move(description);
  if (family != AF_UNIX) apply_tcp_settings(fd, settings);
  if (::connect(fd, sa, len) == 0) return pc;
  if (errno == EINPROGRESS || errno == EAGAIN) {
    pc.in_progress = true;
    return pc;
  }
  return make_error("connect to " + pc.description + ": " + strerror(errno));
}
}  // namespace

bool is_unix_socket_entry(const config::DatabaseEntry& entry) {
  return entry.host.empty() || entry.host[0] == '/';
}

Result<PendingConnect> connect_to_server(const config::DatabaseEntry& entry,
                                         const config::Settings& settings,
                                         const sockaddr_storage* tcp_address) {
  const int port = entry.port > 0 ? entry.port : 5432;
  if (is_unix_socket_entry(entry)) {
    std::string dir = entry.host.empty() ? kDefaultSocketDir : entry.host;
    std::string path = dir + "/.s.PGSQL." + std::to_string(port);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) return make_error("socket path too long: " + path);
    memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    return start_connect(AF_UNIX, reinterpret_cast<sockaddr*>(&sun), sizeof sun, path, settings);
  }
  if (!tcp_address) return make_error("no address for " + entry.host);
  sockaddr_storage address = *tcp_address;
  socklen_t length = 0;
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in);
  } else if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in6);
  } else {
    return make_error("no usable address for " + entry.host);
  }
  return start_connect(address.ss_family, reinterpret_cast<sockaddr*>(&address), length,
                       entry.host + ":" + std::to_string(port), settings);
}

int pending_connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

}  // namespace pooler::pool
