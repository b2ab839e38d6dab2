#include "systemd/listen_fds.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "core/address_list.h"

namespace pooler::systemd {

namespace {
std::string describe(const sockaddr_storage& ss, socklen_t len, bool* is_unix) {
  *is_unix = false;
  if (ss.ss_family == AF_UNIX) {
    *is_unix = true;
    const auto* sun = reinterpret_cast<const sockaddr_un*>(&ss);
    size_t path_len =
        len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    std::string path(sun->sun_path, strnlen(sun->sun_path, path_len));
    return "unix:" + path;
  }
  PeerAddress a = address_from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
  return a.to_string();
}
}  // namespace

Result<InheritedFds> take_listen_fds() {
  char** names = nullptr;
  int n = sd_listen_fds_with_names(1, &names);
  InheritedFds out;
  if (n < 0) return make_error(std::string("sd_listen_fds: ") + strerror(-n));
  std::string error;
  for (int i = 0; i < n; ++i) {
    int fd = SD_LISTEN_FDS_START + i;
    std::string name = (names && names[i]) ? names[i] : "unknown";
    set_cloexec(fd);
    if (name == "state") {
      out.state = Socket(fd);
      continue;
    }
    if (name == "slots") {
      out.slots = Socket(fd);
      continue;
    }
    if (name == "recovering") {
      out.recovering = Socket(fd);
      continue;
    }
    if (name.rfind("client-", 0) == 0 || name.rfind("server-", 0) == 0) {
      out.connections.emplace_back(name, Socket(fd));
      continue;
    }
    InheritedListener l;
    l.socket = Socket(fd);
    l.name = name;
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
      if (error.empty()) {
        error = "inherited fd " + std::to_string(fd) + " (" + l.name +
                ") is not a listening stream socket";
      }
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    l.address = describe(ss, len, &l.is_unix);
    set_nonblocking(fd);
    out.listeners.push_back(std::move(l));
  }
  if (names) {
    for (int i = 0; i < n; ++i) free(names[i]);
    free(names);
  }
  if (!error.empty()) return make_error(error);
  return out;
}

std::string address_of_listener(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  bool is_unix = false;
  return describe(ss, len, &is_unix);
}

std::vector<std::string> tcp_listen_addresses(const std::string& host, int port) {
  std::vector<std::string> out;
  auto addresses = AddressList::for_bind(host, port);
  if (!addresses) return out;
  for (const addrinfo& ai : *addresses) {
    out.push_back(address_from_sockaddr(ai.ai_addr, ai.ai_addrlen).to_string());
  }
  return out;
}

std::string unix_listen_address(const std::string& dir, int port) {
  return "unix:" + dir + "/.s.PGSQL." + std::to_string(port);
}

}  // namespace pooler::systemd
