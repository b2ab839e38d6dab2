#include "pool/server_address.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "core/address_list.h"
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

Result<PendingConnect> connect_to_server(const config::DatabaseEntry& entry,
                                         const config::Settings& settings) {
  const int port = entry.port > 0 ? entry.port : 5432;
  if (entry.host.empty() || entry.host[0] == '/') {
    std::string dir = entry.host.empty() ? kDefaultSocketDir : entry.host;
    std::string path = dir + "/.s.PGSQL." + std::to_string(port);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) return make_error("socket path too long: " + path);
    memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    return start_connect(AF_UNIX, reinterpret_cast<sockaddr*>(&sun), sizeof sun, path, settings);
  }
  // Blocking resolution; IP literals (the common case) resolve without a lookup.
  auto addresses = AddressList::resolve(entry.host, port, AddressList::Use::kConnect);
  if (!addresses)
    return make_error("could not resolve " + entry.host + ": " + addresses.error().message);
  const addrinfo& first = *addresses->begin();
  return start_connect(first.ai_family, first.ai_addr, first.ai_addrlen,
                       entry.host + ":" + std::to_string(port), settings);
}

int pending_connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

}  // namespace pooler::pool
