#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/backend_messages.h"
#include "protocol/frame.h"
#include "protocol/message_builder.h"
#include "protocol/sqlstate.h"

namespace pooler::protocol {
namespace {

using namespace std::string_view_literals;

// Checks that `msg` holds exactly one well-framed message of `type`; returns its body.
std::string_view body_of(const std::string& msg, char type) {
  Frame f = next_frame(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), 1 << 20);
  EXPECT_EQ(f.status, Frame::Status::kComplete);
  EXPECT_EQ(f.type, type);
  EXPECT_EQ(f.size(), msg.size());
  return std::string_view(msg).substr(5);
}

TEST(MessageBytes, ReadyForQueryIdle) {
  std::string out;
  append_ready_for_query(out, 'I');
  EXPECT_EQ(out, "\x5a\x00\x00\x00\x05\x49"sv);
}

TEST(MessageBytes, AuthenticationOk) {
  std::string out;
  append_auth_ok(out);
  EXPECT_EQ(out, "R\0\0\0\x08\0\0\0\0"sv);
}

TEST(MessageBytes, StartupMessage) {
  std::string out;
  std::vector<std::pair<std::string, std::string>> params{{"user", "u"}};
  append_startup_message(out, params);
  EXPECT_EQ(out, "\0\0\0\x10\0\x03\0\0user\0u\0\0"sv);
}

TEST(MessageBytes, TerminateSyncAndEmptyQuery) {
  std::string out;
  append_terminate(out);
  append_sync(out);
  append_empty_query_response(out);
  EXPECT_EQ(out, "X\0\0\0\x04S\0\0\0\x04I\0\0\0\x04"sv);
}

TEST(MessageBytes, DataRowWithNull) {
  std::string out;
  std::optional<std::string_view> values[] = {"ab"sv, std::nullopt};
  append_data_row(out, values);
  EXPECT_EQ(out,
            "D\0\0\0\x10\0\x02\0\0\0\x02"
            "ab\xff\xff\xff\xff"sv);
}

TEST(RoundTrip, DataRow) {
  std::string out;
  const std::optional<std::string_view> values[] = {"dave"sv, std::nullopt, ""sv};
  append_data_row(out, values);
  auto row = parse_data_row(body_of(out, 'D'));
  ASSERT_TRUE(row);
  ASSERT_EQ(3u, row->size());
  EXPECT_EQ("dave"sv, *(*row)[0]);
  EXPECT_FALSE((*row)[1].has_value());
  EXPECT_EQ(""sv, *(*row)[2]);
}

TEST(ParseDataRow, RejectsMalformedBodies) {
  std::string out;
  const std::optional<std::string_view> values[] = {"abc"sv};
  append_data_row(out, values);
  const std::string body(body_of(out, 'D'));
  EXPECT_FALSE(parse_data_row(""));
  EXPECT_FALSE(parse_data_row(body.substr(0, body.size() - 1)));  // value cut short
  EXPECT_FALSE(parse_data_row(body + "x"));                       // bytes after the last value
  EXPECT_FALSE(parse_data_row("\0\x01\0\0"sv));                   // length cut short
  EXPECT_TRUE(parse_data_row("\0\0"sv));                          // no columns
}

TEST(MessageBytes, ParameterizedQueryIsParseBindExecuteSync) {
  std::string out;
  const std::string_view params[] = {"dave"};
  append_parameterized_query(out, "SELECT $1", params);
  const std::string_view expected =
      "P\0\0\0\x11\0SELECT $1\0\0\0"  // unnamed, no types
      "B\0\0\0\x14\0\0\0\0\0\x01\0\0\0\x04"
      "dave\0\0"               // one text parameter
      "E\0\0\0\x09\0\0\0\0\0"  // all rows
      "S\0\0\0\x04"sv;
  EXPECT_EQ(expected, out);
}

TEST(MessageBytes, RowDescriptionColumn) {
  std::string out;
  Column cols[] = {{"n", 23, 4}};
  append_row_description(out, cols);
  EXPECT_EQ(out, "T\0\0\0\x1a\0\x01n\0\0\0\0\0\0\0\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0"sv);
}

TEST(MessageBuilder, AppendsAfterExistingBytesAndFinishesOnce) {
  std::string out = "xyz";
  {
    MessageBuilder b(out, 'Q');
    b.cstr("SELECT 1");
    b.finish();
    b.finish();
  }
  EXPECT_EQ(out, "xyzQ\0\0\0\x0dSELECT 1\0"sv);
}

TEST(MessageBuilder, CstrStopsAtEmbeddedNul) {
  std::string out;
  append_query(out, "a\0b"sv);
  EXPECT_EQ(parse_cstring_body(body_of(out, 'Q')), "a"sv);
}

TEST(RoundTrip, ErrorResponse) {
  std::string out;
  append_error_response(out, "FATAL", sqlstate::kInvalidPassword,
                        "password authentication failed for user \"alice\"", "some detail",
                        "some hint");
  auto f = parse_error_fields(body_of(out, 'E'));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, "FATAL");
  EXPECT_EQ(f->sqlstate, "28P01");
  EXPECT_EQ(f->message, "password authentication failed for user \"alice\"");
  EXPECT_EQ(f->detail, "some detail");
  EXPECT_EQ(f->hint, "some hint");
}

TEST(RoundTrip, ErrorResponseWithoutDetailOrHint) {
  std::string out;
  append_error_response(out, "ERROR", sqlstate::kSyntaxError, "bad");
  std::string_view body = body_of(out, 'E');
  EXPECT_EQ(body.find('D'), std::string_view::npos);
  auto f = parse_error_fields(body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->detail, "");
  EXPECT_EQ(f->hint, "");
}

TEST(RoundTrip, NoticeResponse) {
  std::string out;
  append_notice_response(out, sqlstate::kAdminShutdown, "going down");
  auto f = parse_error_fields(body_of(out, 'N'));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, "NOTICE");
  EXPECT_EQ(f->sqlstate, "57P01");
  EXPECT_EQ(f->message, "going down");
}

TEST(ParseErrorFields, PrefersNonLocalizedSeverity) {
  auto f = parse_error_fields("SFEHLER\0VERROR\0C42601\0Mx\0\0"sv);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, "ERROR");
  auto g = parse_error_fields("SERROR\0Fscan.l\0L1\0\0"sv);  // unknown fields are skipped
  ASSERT_TRUE(g);
  EXPECT_EQ(g->severity, "ERROR");
}

TEST(ParseErrorFields, RejectsMalformedBodies) {
  EXPECT_FALSE(parse_error_fields(""sv));                // no terminator
  EXPECT_FALSE(parse_error_fields("SERROR"sv));          // unterminated value
  EXPECT_FALSE(parse_error_fields("SERROR\0"sv));        // no final terminator
  EXPECT_FALSE(parse_error_fields("SERROR\0\0junk"sv));  // bytes after the terminator
  EXPECT_TRUE(parse_error_fields("\0"sv));
}

TEST(RoundTrip, ParameterStatus) {
  std::string out;
  append_parameter_status(out, "server_version", "16.2");
  auto p = parse_parameter_status(body_of(out, 'S'));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, "server_version");
  EXPECT_EQ(p->second, "16.2");
  EXPECT_FALSE(parse_parameter_status("a\0"sv));
  EXPECT_FALSE(parse_parameter_status("a\0b\0c"sv));
}

TEST(RoundTrip, AuthenticationRequests) {
  std::string out;
  append_auth_cleartext(out);
  auto a = parse_authentication(body_of(out, 'R'));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->code, 3);
  EXPECT_TRUE(a->payload.empty());

  out.clear();
  const uint8_t salt[4] = {1, 2, 0, 0xff};
  append_auth_md5(out, salt);
  a = parse_authentication(body_of(out, 'R'));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->code, 5);
  EXPECT_EQ(a->payload, "\x01\x02\x00\xff"sv);

  out.clear();
  append_auth_sasl_continue(out, "r=abc,s=xyz,i=4096");
  a = parse_authentication(body_of(out, 'R'));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->code, 11);
  EXPECT_EQ(a->payload, "r=abc,s=xyz,i=4096");

  out.clear();
  append_auth_sasl_final(out, "v=sig");
  a = parse_authentication(body_of(out, 'R'));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->code, 12);
  EXPECT_EQ(a->payload, "v=sig");
}

TEST(RoundTrip, SaslMechanisms) {
  std::string out;
  append_auth_sasl(out, "SCRAM-SHA-256");
  auto a = parse_authentication(body_of(out, 'R'));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->code, 10);
  auto m = parse_sasl_mechanisms(a->payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (std::vector<std::string_view>{"SCRAM-SHA-256"}));
  m = parse_sasl_mechanisms("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"sv);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 2u);
}

TEST(ParseAuthentication, RejectsMalformedBodies) {
  EXPECT_FALSE(parse_authentication("\0\0\0"sv));
  EXPECT_FALSE(parse_authentication("\0\0\0\0x"sv));         // ok with payload
  EXPECT_FALSE(parse_authentication("\0\0\0\x05\1\2\3"sv));  // md5 with 3 salt bytes
  EXPECT_FALSE(parse_authentication("\0\0\0\x0a"sv));        // SASL without mechanisms
  EXPECT_FALSE(parse_sasl_mechanisms("\0"sv));
  EXPECT_FALSE(parse_sasl_mechanisms("SCRAM-SHA-256\0"sv));
  EXPECT_FALSE(parse_sasl_mechanisms("SCRAM-SHA-256\0\0x"sv));
}

TEST(RoundTrip, BackendKeyData) {
  std::string out;
  append_backend_key_data(out, 123456, 0x80000001);
  auto k = parse_backend_key_data(body_of(out, 'K'));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->first, 123456u);
  EXPECT_EQ(k->second, 0x80000001u);
  EXPECT_FALSE(parse_backend_key_data("1234567"sv));
  EXPECT_FALSE(parse_backend_key_data("123456789"sv));
}

TEST(RoundTrip, QueryAndPasswordMessage) {
  std::string out;
  append_query(out, "SHOW POOLS;");
  EXPECT_EQ(parse_cstring_body(body_of(out, 'Q')), "SHOW POOLS;"sv);
  out.clear();
  append_password_message(out, "md5abc");
  EXPECT_EQ(parse_cstring_body(body_of(out, 'p')), "md5abc"sv);
  EXPECT_FALSE(parse_cstring_body(""sv));
  EXPECT_FALSE(parse_cstring_body("abc"sv));
  EXPECT_FALSE(parse_cstring_body("a\0b\0"sv));
}

TEST(RoundTrip, SaslInitialResponse) {
  std::string out;
  append_sasl_initial_response(out, "SCRAM-SHA-256", "n,,n=,r=nonce");
  auto r = parse_sasl_initial_response(body_of(out, 'p'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(r->data, "n,,n=,r=nonce");
  EXPECT_TRUE(r->has_data);
}

TEST(ParseSaslInitialResponse, MinusOneMeansNoData) {
  auto r = parse_sasl_initial_response("M\0\xff\xff\xff\xff"sv);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, "M");
  EXPECT_FALSE(r->has_data);
  EXPECT_TRUE(r->data.empty());
}

TEST(ParseSaslInitialResponse, RejectsMalformedBodies) {
  EXPECT_FALSE(parse_sasl_initial_response("M"sv));
  EXPECT_FALSE(parse_sasl_initial_response("M\0\0\0"sv));
  EXPECT_FALSE(
      parse_sasl_initial_response("M\0\0\0\0\x05"
                                  "abcd"sv));  // short data
  EXPECT_FALSE(
      parse_sasl_initial_response("M\0\0\0\0\x01"
                                  "ab"sv));                      // trailing data
  EXPECT_FALSE(parse_sasl_initial_response("M\0\x80\0\0\0"sv));  // negative length
}

TEST(RoundTrip, SaslResponseCarriesRawBytes) {
  std::string out;
  append_sasl_response(out, "c=biws,r=x,p=y");
  EXPECT_EQ(body_of(out, 'p'), "c=biws,r=x,p=y");
}

TEST(RoundTrip, CommandComplete) {
  std::string out;
  append_command_complete(out, "SHOW");
  EXPECT_EQ(parse_command_complete(body_of(out, 'C')), "SHOW"sv);
}

TEST(ParseReadyForQuery, AcceptsOnlyKnownStatuses) {
  std::string out;
  append_ready_for_query(out, 'T');
  EXPECT_EQ(parse_ready_for_query(body_of(out, 'Z')), 'T');
  EXPECT_EQ(parse_ready_for_query("E"sv), 'E');
  EXPECT_FALSE(parse_ready_for_query("X"sv));
  EXPECT_FALSE(parse_ready_for_query(""sv));
  EXPECT_FALSE(parse_ready_for_query("II"sv));
}

TEST(MessageBytes, NegotiateProtocolVersion) {
  std::string out;
  std::string_view opts[] = {"_pq_.x"};
  append_negotiate_protocol_version(out, 0, opts);
  EXPECT_EQ(out, "v\0\0\0\x13\0\x03\0\0\0\0\0\x01_pq_.x\0"sv);
}

}  // namespace
}  // namespace pooler::protocol
