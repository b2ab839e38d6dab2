#pragma once
#include <sys/socket.h>

#include <string>
#include <utility>

namespace pooler {

// Owns one fd and closes it exactly once. shutdown() before close() matters once
// systemd's fd store holds a copy: close() alone would not end the connection.
class Socket {
 public:
  Socket() noexcept = default;
  explicit Socket(int fd) noexcept : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { reset(); }

  int fd() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }  // hand the fd to a takeover
  void reset() noexcept;                                     // close now, if open
  void shutdown_and_close() noexcept;

 private:
  int fd_ = -1;
};

bool set_nonblocking(int fd);
bool set_cloexec(int fd);

// "127.0.0.1:5544", "[::1]:5544" or "unix"; for log lines and SHOW CLIENTS.
struct PeerAddress {
  std::string host;  // "unix" for AF_UNIX
  int port = 0;
  std::string to_string() const;
};
PeerAddress peer_address_of(int fd);
PeerAddress local_address_of(int fd);
PeerAddress address_from_sockaddr(const sockaddr* sa, socklen_t len);

}  // namespace pooler
