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
#include "raw_connection.h"

namespace pooler_test {
namespace {

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

// Not garbage, but also spoken by hand: without client_tls_sslmode both encryption requests
// get 'N' (GSS encryption is never offered) and the client then logs in in plaintext on the
// same connection. tls_test.cpp covers the 'S' side.
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
  // Without tcp_defer_accept = 0 the kernel would keep the silent connection from pooler.
  options.extra_pooler_lines = {"client_login_timeout = 1", "tcp_defer_accept = 0"};
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
