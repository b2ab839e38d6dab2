#pragma once
// A raw TCP connection to the pooler that speaks protocol bytes, not libpq: for malformed
// input and for messages libpq 15 cannot send (Close of a statement).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace pooler_test {

inline constexpr uint32_t kProtocol3 = 196608;

inline std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

inline uint32_t read_be32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

// "user\0alice\0database\0app\0" plus, when `terminated`, the final "\0".
inline std::string startup_packet(bool terminated) {
  std::string params = std::string("user\0alice\0database\0app\0", 24);
  if (terminated) params.push_back('\0');
  return be32(static_cast<uint32_t>(8 + params.size())) + be32(kProtocol3) + params;
}

// One frontend message: type byte, length, body.
inline std::string frontend_message(char type, const std::string& body) {
  return std::string(1, type) + be32(static_cast<uint32_t>(4 + body.size())) + body;
}

struct BackendMessage {
  char type;
  std::string body;
};

// A raw TCP connection to the pooler that speaks bytes, not libpq.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { close(fd_); }

  bool connected() const { return connected_; }
  // Our end's TCP port (to find this connection in /proc/net/tcp).
  int local_port() const {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }
  bool send_bytes(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // The next complete message, or nullopt on EOF / deadline.
  std::optional<BackendMessage> next(std::chrono::seconds deadline = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (true) {
      if (buffer_.size() >= 5) {
        const uint32_t length = read_be32(buffer_, 1);
        if (length >= 4 && buffer_.size() >= 1 + length) {
          BackendMessage message{buffer_[0], buffer_.substr(5, length - 4)};
          buffer_.erase(0, 1 + length);
          return message;
        }
      }
      if (closed_ || !fill(until)) return std::nullopt;
    }
  }

  // One raw byte (the answer to SSLRequest / GSSENCRequest), or nullopt on EOF / deadline.
  std::optional<char> next_byte(std::chrono::seconds deadline = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (buffer_.empty()) {
      if (closed_ || !fill(until)) return std::nullopt;
    }
    char c = buffer_[0];
    buffer_.erase(0, 1);
    return c;
  }

  // True once the peer closed the connection (reads and discards anything left).
  bool closed_by_peer(std::chrono::seconds deadline = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!closed_ && fill(until)) {
    }
    return closed_;
  }

 private:
  // Reads what is available; false when the deadline passed or the peer closed.
  bool fill(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      closed_ = true;  // EOF or reset
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

// The fields of an ErrorResponse body, by field code.
inline std::map<char, std::string> error_fields(const std::string& body) {
  std::map<char, std::string> fields;
  size_t at = 0;
  while (at < body.size() && body[at] != '\0') {
    const char code = body[at++];
    const size_t end = body.find('\0', at);
    if (end == std::string::npos) break;
    fields[code] = body.substr(at, end - at);
    at = end + 1;
  }
  return fields;
}

}  // namespace pooler_test
