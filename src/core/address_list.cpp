#include "core/address_list.h"

#include <sys/socket.h>

namespace pooler {

Result<AddressList> AddressList::for_bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  const std::string port_str = std::to_string(port);
  const char* node = (host == "*" || host.empty()) ? nullptr : host.c_str();
  addrinfo* head = nullptr;
  const int rc = getaddrinfo(node, port_str.c_str(), &hints, &head);
  if (rc != 0) return make_error(std::string(gai_strerror(rc)));
  return AddressList(head);
}

}  // namespace pooler
