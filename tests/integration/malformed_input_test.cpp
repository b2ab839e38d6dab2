// Garbage on the wire: the offending connection gets a FATAL 08P01 ErrorResponse and is closed;
// everybody else is unaffected.
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
#include <thread>
#include <vector>

#include "pooler_test.h"

namespace pooler_test {
namespace {

constexpr uint32_t kProtocol3 = 196608;

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

uint32_t read_be32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

// "user\0alice\0database\0app\0" plus, when `terminated`, the final "\0".
std::string startup_packet(bool terminated) {
  std::string params = std::string("user\0alice\0database\0app\0", 24);
  if (terminated) params.push_back('\0');
  return be32(static_cast<uint32_t>(8 + params.size())) + be32(kProtocol3) + params;
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
std::map<char, std::string> error_fields(const std::string& body) {
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

class MalformedInput : public PoolerTest {
 protected:
  void SetUp() override {
    PoolerOptions options;
    options.auth_type = "trust";  // so that a raw login needs no password exchange
    start_pooler(options);
    bystander_ = connect();
    ASSERT_EQ("1", bystander_->value("SELECT 1"));
  }

  // The connection must answer with one FATAL 08P01 ErrorResponse and then close.
  void expect_fatal_protocol_violation_and_close(RawConnection& raw) {
    std::optional<BackendMessage> reply = raw.next();
    ASSERT_TRUE(reply.has_value()) << "connection closed (or silent) without an ErrorResponse";
    ASSERT_EQ('E', reply->type);
    std::map<char, std::string> fields = error_fields(reply->body);
    EXPECT_EQ("FATAL", fields.count('V') ? fields['V'] : fields['S']);
    EXPECT_EQ("08P01", fields['C']) << fields['M'];
    EXPECT_TRUE(raw.closed_by_peer()) << "connection left open after the FATAL error";
  }

  void TearDown() override {
    if (bystander_) {
      EXPECT_EQ("2", bystander_->value("SELECT 2")) << "a well-behaved client was disturbed";
      EXPECT_TRUE(connect().ok());
    }
    PoolerTest::TearDown();
  }

  std::optional<PqClient> bystander_;
};

// PgBouncer 1.18 says nothing and keeps the connection open.
TEST_F(MalformedInput, StartupPacketOfLengthFourIsRejected) {
  RawConnection raw(pooler().port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_bytes(be32(4)));
  expect_fatal_protocol_violation_and_close(raw);
}

TEST_F(MalformedInput, StartupPacketClaimingTwoGigabytesIsRejected) {
  RawConnection raw(pooler().port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_bytes(be32(0x7fffffff) + be32(kProtocol3)));
  expect_fatal_protocol_violation_and_close(raw);
}

// PgBouncer 1.18 accepts this packet and logs the client in.
TEST_F(MalformedInput, StartupPacketWithoutTerminatorIsRejected) {
  RawConnection raw(pooler().port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_bytes(startup_packet(/*terminated=*/false)));
  expect_fatal_protocol_violation_and_close(raw);
}

TEST_F(MalformedInput, MessageClaimingTwoGigabytesAfterLoginIsRejected) {
  RawConnection raw(pooler().port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_bytes(startup_packet(/*terminated=*/true)));
  bool ready = false;
  while (std::optional<BackendMessage> m = raw.next()) {
    ASSERT_NE('E', m->type) << "login failed: " << error_fields(m->body)['M'];
    if (m->type == 'Z') {
      ready = true;
      break;
    }
  }
  ASSERT_TRUE(ready) << "no ReadyForQuery after a trust login";
  ASSERT_TRUE(raw.send_bytes("Q" + be32(0x7fffffff) + "SELECT 1"));
  expect_fatal_protocol_violation_and_close(raw);
}

// Not garbage, but also spoken by hand: both encryption requests get 'N' (no TLS, no GSS
// encryption yet) and the client then logs in in plaintext on the same connection.
TEST_F(MalformedInput, SslAndGssEncRequestsAreDeclinedAndLoginProceeds) {
  RawConnection raw(pooler().port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_bytes(be32(8) + be32(80877103)));  // SSLRequest
  EXPECT_EQ(std::optional<char>('N'), raw.next_byte());
  ASSERT_TRUE(raw.send_bytes(be32(8) + be32(80877104)));  // GSSENCRequest
  EXPECT_EQ(std::optional<char>('N'), raw.next_byte());
  ASSERT_TRUE(raw.send_bytes(startup_packet(true)));
  std::optional<BackendMessage> m;
  bool authenticated = false;
  while ((m = raw.next()) && m->type != 'Z') authenticated = authenticated || m->type == 'R';
  ASSERT_TRUE(m.has_value()) << "no ReadyForQuery";
  EXPECT_TRUE(authenticated);
}

// client_login_timeout: a connection that never finishes its login is closed with an
// error; a logged-in idle client is not touched by it.
class LoginTimeout : public PoolerTest {};

TEST_F(LoginTimeout, ALoginThatNeverFinishesIsClosedAndIdleClientsStay) {
  PoolerOptions options;
  options.extra_pooler_lines = {"client_login_timeout = 1"};
  start_pooler(options);
  PqClient idle = connect();
  ASSERT_EQ("1", idle.value("SELECT 1"));
  RawConnection silent(pooler().port());
  ASSERT_TRUE(silent.connected());
  RawConnection half(pooler().port());
  ASSERT_TRUE(half.connected());
  ASSERT_TRUE(half.send_bytes(startup_packet(true).substr(0, 6)));  // a startup cut short

  for (RawConnection* raw : {&silent, &half}) {
    auto msg = raw->next(std::chrono::seconds(20));
    ASSERT_TRUE(msg.has_value()) << "no error before the close";
    ASSERT_EQ('E', msg->type);
    auto fields = error_fields(msg->body);
    EXPECT_EQ("FATAL", fields['S']);
    EXPECT_EQ("client_login_timeout", fields['M']);
    EXPECT_TRUE(raw->closed_by_peer());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the timeout
  EXPECT_EQ("2", idle.value("SELECT 2"));
}

}  // namespace
}  // namespace pooler_test
