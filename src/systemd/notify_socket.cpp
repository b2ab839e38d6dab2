#include "systemd/notify_socket.h"

#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace pooler::systemd {

NotifySocket::NotifySocket() {
  const char* path = getenv("NOTIFY_SOCKET");
  if (!path || (path[0] != '/' && path[0] != '@')) return;
  const size_t length = strlen(path);
  if (length < 2 || length >= sizeof address_.sun_path) return;
  address_.sun_family = AF_UNIX;
  memcpy(address_.sun_path, path, length);
  if (path[0] == '@') address_.sun_path[0] = '\0';  // abstract namespace: no terminator
  address_length_ =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + (path[0] == '@' ? 0 : 1));
  socket_ = Socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

bool NotifySocket::send(std::string_view message, const int* fds, size_t fd_count) const {
  if (!valid()) {
    const std::string text(message);
    return (fd_count > 0
                ? sd_pid_notify_with_fds(0, 0, text.c_str(), fds, static_cast<unsigned>(fd_count))
                : sd_notify(0, text.c_str())) > 0;
  }
  iovec iov{const_cast<char*>(message.data()), message.size()};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_un*>(&address_);
  msg.msg_namelen = address_length_;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  if (fd_count > kMaxFds) return false;
  if (fd_count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * fd_count);
  }
  for (;;) {
    ssize_t n = sendmsg(socket_.fd(), &msg, MSG_NOSIGNAL);
    if (n >= 0) return true;
    if (errno != EINTR) return false;
  }
}

}  // namespace pooler::systemd
