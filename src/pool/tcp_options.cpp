#include "pool/tcp_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace pooler::pool {

namespace {
void set_int(int fd, int level, int name, int value) {
  setsockopt(fd, level, name, &value, sizeof value);
}
}  // namespace

void apply_tcp_settings(int fd, const config::Settings& s) {
  set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  if (s.tcp_keepalive) {
    set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
    if (s.tcp_keepidle > 0) set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, s.tcp_keepidle);
    if (s.tcp_keepintvl > 0) set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, s.tcp_keepintvl);
    if (s.tcp_keepcnt > 0) set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, s.tcp_keepcnt);
  }
  if (s.tcp_user_timeout > 0) set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, s.tcp_user_timeout);
  if (s.tcp_socket_buffer > 0) {
    set_int(fd, SOL_SOCKET, SO_SNDBUF, s.tcp_socket_buffer);
    set_int(fd, SOL_SOCKET, SO_RCVBUF, s.tcp_socket_buffer);
  }
}

void apply_listener_tcp_settings(int fd, const config::Settings& s) {
  set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, s.tcp_defer_accept > 0 ? s.tcp_defer_accept : 0);
}

}  // namespace pooler::pool
