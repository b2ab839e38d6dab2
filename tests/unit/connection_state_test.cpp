#include "takeover/connection_state.h"

#include <gtest/gtest.h>

namespace pooler::takeover {
namespace {

TEST(ConnectionState, ValuesRoundTripIncludingAwkwardCharacters) {
  std::map<std::string, std::string> in = {
      {"application_name", "a=b\\c\nd"}, {"TimeZone", "Asia/Tokyo"}, {"empty", ""}};
  auto out = decode_values(encode_values(in));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, in);
}

TEST(ConnectionState, MalformedPayloadIsRejected) {
  EXPECT_FALSE(decode_values("no-equals\n").has_value());
  EXPECT_FALSE(decode_values("a=b").has_value());  // missing final newline
  EXPECT_FALSE(decode_values("a=\\q\n").has_value());
  EXPECT_FALSE(decode_values("=x\n").has_value());
  EXPECT_TRUE(decode_values("").has_value());
}

TEST(ConnectionState, RowRoundTrip) {
  ExtraState st;
  st.kind = ExtraState::Kind::kServer;
  st.fd = 12;
  st.values = {{"DateStyle", "ISO, MDY"}};
  auto parsed = extra_state_from_row(row_from_extra_state(st));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->kind, ExtraState::Kind::kServer);
  EXPECT_EQ(parsed->fd, 12);
  EXPECT_EQ(parsed->values, st.values);
}

TEST(ConnectionState, ProcessSettingsRoundTrip) {
  ExtraState st;
  st.kind = ExtraState::Kind::kProcess;
  st.values = {{"watchdog_usec", "30000000"}};
  auto parsed = extra_state_from_row(row_from_extra_state(st));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->kind, ExtraState::Kind::kProcess);
  EXPECT_EQ(parsed->values, st.values);
  st.kind = ExtraState::Kind::kPool;
  st.name = "app";
  st.values = {{"user", "alice"}, {"servers", "7"}};
  parsed = extra_state_from_row(row_from_extra_state(st));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->kind, ExtraState::Kind::kPool);
  EXPECT_EQ(parsed->name, "app");
  EXPECT_EQ(parsed->values, st.values);
}

TEST(ConnectionState, UnknownVersionIsRefusedWithAClearMessage) {
  ExtraState st;
  st.version = kStateVersion + 1;
  auto parsed = extra_state_from_row(row_from_extra_state(st));
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("is not understood by this pooler"), std::string::npos)
      << parsed.error().message;
}

}  // namespace
}  // namespace pooler::takeover
