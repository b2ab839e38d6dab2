#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "protocol/byte_order.h"
#include "protocol/message_builder.h"
#include "protocol/sqlstate.h"
#include "protocol/startup.h"

namespace pooler::protocol {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// A startup packet with an explicit version and raw body after the version word.
std::string raw_packet(uint32_t version, std::string_view body) {
  std::string out;
  append_be32(out, uint32_t(8 + body.size()));
  append_be32(out, version);
  out.append(body);
  return out;
}

StartupParse parse(const std::string& s) {
  return parse_startup(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void expect_invalid(const StartupParse& r, const char* sqlstate, const std::string& message) {
  ASSERT_EQ(r.status, StartupParse::Status::kInvalid);
  EXPECT_STREQ(r.error.sqlstate, sqlstate);
  EXPECT_EQ(r.error.message, message);
}

TEST(ParseStartup, ParsesParametersInOrder) {
  std::string pkt;
  Params params{{"user", "alice"}, {"database", "app"}, {"application_name", "psql"}};
  append_startup_message(pkt, params);
  StartupParse r = parse(pkt);
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(r.consumed, pkt.size());
  EXPECT_EQ(r.packet.kind, StartupPacket::Kind::kStartup);
  EXPECT_EQ(r.packet.version, kProtocolV3);
  EXPECT_EQ(r.packet.params, params);
  ASSERT_NE(r.packet.param("database"), nullptr);
  EXPECT_EQ(*r.packet.param("database"), "app");
  EXPECT_EQ(r.packet.param("options"), nullptr);
  EXPECT_FALSE(r.packet.wants_protocol_negotiation());
}

TEST(ParseStartup, ConsumesOnlyThePacketWhenMoreBytesFollow) {
  std::string pkt;
  append_startup_message(pkt, Params{{"user", "alice"}});
  size_t size = pkt.size();
  append_sync(pkt);
  StartupParse r = parse(pkt);
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(r.consumed, size);
}

TEST(ParseStartup, EveryPrefixOfAValidPacketIsIncomplete) {
  std::string pkt;
  append_startup_message(pkt, Params{{"user", "alice"}, {"database", "app"}});
  for (size_t n = 0; n < pkt.size(); ++n) {
    StartupParse r = parse_startup(reinterpret_cast<const uint8_t*>(pkt.data()), n);
    EXPECT_EQ(r.status, StartupParse::Status::kIncomplete) << "prefix " << n;
  }
  EXPECT_EQ(parse(pkt).status, StartupParse::Status::kComplete);
}

TEST(ParseStartup, DatabaseDefaultsToUserName) {
  std::string pkt;
  append_startup_message(pkt, Params{{"user", "alice"}});
  StartupParse r = parse(pkt);
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  ASSERT_NE(r.packet.param("database"), nullptr);
  EXPECT_EQ(*r.packet.param("database"), "alice");
}

TEST(ParseStartup, EmptyDatabaseDefaultsToUserName) {
  std::string pkt;
  append_startup_message(pkt, Params{{"database", ""}, {"user", "bob"}});
  StartupParse r = parse(pkt);
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(*r.packet.param("database"), "bob");
}

TEST(ParseStartup, LastOccurrenceOfAParameterWins) {
  std::string pkt;
  append_startup_message(pkt, Params{{"user", "a"}, {"user", "b"}});
  StartupParse r = parse(pkt);
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(*r.packet.param("user"), "b");
}

TEST(ParseStartup, LengthBelowEightIsAProtocolViolation) {
  for (uint32_t len : {0u, 4u, 7u}) {
    std::string pkt;
    append_be32(pkt, len);
    append_be32(pkt, kProtocolV3);
    expect_invalid(parse(pkt), sqlstate::kProtocolViolation, "invalid length of startup packet");
  }
}

TEST(ParseStartup, OversizedLengthIsRejectedBeforeTheBodyArrives) {
  for (uint32_t len : {kMaxStartupPacketLength + 5, 0x7fffffffu, 0xffffffffu}) {
    std::string pkt;
    append_be32(pkt, len);
    expect_invalid(parse(pkt), sqlstate::kProtocolViolation, "invalid length of startup packet");
  }
}

TEST(ParseStartup, MaximumLengthIsAccepted) {
  // PostgreSQL bounds the packet after its 4-byte length word by 10000.
  std::string body = "user";
  body.push_back('\0');
  body.append(kMaxStartupPacketLength - 4 - body.size() - 2, 'x');
  body.append(2, '\0');
  std::string pkt = raw_packet(kProtocolV3, body);
  ASSERT_EQ(pkt.size(), kMaxStartupPacketLength + 4);
  EXPECT_EQ(parse(pkt).status, StartupParse::Status::kComplete);
}

TEST(ParseStartup, UnsupportedMajorVersionIsFeatureNotSupported) {
  expect_invalid(parse(raw_packet(2 << 16, std::string("user\0a\0\0", 8))),
                 sqlstate::kFeatureNotSupported,
                 "unsupported frontend protocol 2.0: server supports 3.0 to 3.0");
  expect_invalid(parse(raw_packet((4 << 16) | 1, std::string("\0", 1))),
                 sqlstate::kFeatureNotSupported,
                 "unsupported frontend protocol 4.1: server supports 3.0 to 3.0");
}

TEST(ParseStartup, NewerMinorVersionIsAcceptedAndAsksForNegotiation) {
  StartupParse r = parse(raw_packet((3 << 16) | 2, std::string("user\0a\0\0", 8)));
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(r.packet.minor_version(), 2);
  EXPECT_TRUE(r.packet.wants_protocol_negotiation());
}

TEST(ParseStartup, ProtocolOptionsAskForNegotiation) {
  std::string pkt;
  append_startup_message(pkt, Params{{"user", "a"}, {"_pq_.x", "1"}});
  StartupParse r = parse(pkt);
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_TRUE(r.packet.wants_protocol_negotiation());
}

TEST(ParseStartup, BadLayoutsAreProtocolViolations) {
  const std::string kLayout = "invalid startup packet layout: expected terminator as last byte";
  const std::string bodies[] = {
      std::string(""),                       // no terminator at all
      std::string("user", 4),                // unterminated name
      std::string("user\0", 5),              // missing value
      std::string("user\0alice", 10),        // unterminated value
      std::string("user\0alice\0", 11),      // no final terminator
      std::string("user\0alice\0\0x", 13),   // bytes after the terminator
      std::string("user\0alice\0\0\0", 13),  // two terminators
      std::string("\0user\0alice\0", 12),    // terminator first
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(testing::PrintToString(body));
    expect_invalid(parse(raw_packet(kProtocolV3, body)), sqlstate::kProtocolViolation, kLayout);
  }
}

TEST(ParseStartup, MissingOrEmptyUserIsInvalidAuthorization) {
  const std::string kNoUser = "no PostgreSQL user name specified in startup packet";
  std::string pkt;
  append_startup_message(pkt, Params{{"database", "app"}});
  expect_invalid(parse(pkt), sqlstate::kInvalidAuthorization, kNoUser);
  expect_invalid(parse(raw_packet(kProtocolV3, std::string("\0", 1))),
                 sqlstate::kInvalidAuthorization, kNoUser);
  pkt.clear();
  append_startup_message(pkt, Params{{"user", ""}});
  expect_invalid(parse(pkt), sqlstate::kInvalidAuthorization, kNoUser);
}

TEST(ParseStartup, SslRequest) {
  StartupParse r = parse(raw_packet(kSslRequestCode, ""));
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(r.packet.kind, StartupPacket::Kind::kSslRequest);
  EXPECT_EQ(r.consumed, 8u);
  EXPECT_FALSE(r.packet.wants_protocol_negotiation());
}

TEST(ParseStartup, GssEncRequest) {
  StartupParse r = parse(raw_packet(kGssEncRequestCode, ""));
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(r.packet.kind, StartupPacket::Kind::kGssEncRequest);
  EXPECT_EQ(r.consumed, 8u);
}

TEST(ParseStartup, EncryptionRequestWithExtraBytesIsInvalid) {
  expect_invalid(parse(raw_packet(kSslRequestCode, "abcd")), sqlstate::kProtocolViolation,
                 "invalid length of startup packet");
}

TEST(ParseStartup, CancelRequestRoundTrips) {
  std::string pkt;
  append_cancel_request(pkt, 4242, 0xdeadbeef);
  ASSERT_EQ(pkt.size(), 16u);
  StartupParse r = parse(pkt);
  ASSERT_EQ(r.status, StartupParse::Status::kComplete);
  EXPECT_EQ(r.packet.kind, StartupPacket::Kind::kCancelRequest);
  EXPECT_EQ(r.packet.cancel_pid, 4242u);
  EXPECT_EQ(r.packet.cancel_key, 0xdeadbeefu);
  EXPECT_EQ(r.consumed, 16u);
}

TEST(ParseStartup, CancelRequestOfWrongLengthIsInvalid) {
  for (std::string_view body :
       {std::string_view("\0\0\0\1", 4), std::string_view("\0\0\0\1\0\0\0\2\0", 9)}) {
    expect_invalid(parse(raw_packet(kCancelRequestCode, body)), sqlstate::kProtocolViolation,
                   "invalid length of startup packet");
  }
}

}  // namespace
}  // namespace pooler::protocol
