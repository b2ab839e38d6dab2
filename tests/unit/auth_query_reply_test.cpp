#include "auth/auth_query_reply.h"

#include <gtest/gtest.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/message_builder.h"

namespace pooler::auth {
namespace {

using namespace std::string_view_literals;
using namespace std::string_literals;

// Feeds every message in `stream` (as a server sends them) to `reply`; returns what the
// last add() said.
bool feed(AuthQueryReply& reply, const std::string& stream) {
  bool done = false;
  size_t pos = 0;
  while (pos + 5 <= stream.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(stream.data() + pos + 1);
    const size_t len = (size_t(p[0]) << 24) | (size_t(p[1]) << 16) | (size_t(p[2]) << 8) | p[3];
    done = reply.add(stream[pos], std::string_view(stream).substr(pos + 5, len - 4));
    pos += 1 + len;
  }
  return done;
}

std::string answer(std::span<const std::optional<std::string_view>> row) {
  std::string out =
      "1\0\0\0\x04"
      "2\0\0\0\x04"s;
  if (!row.empty()) protocol::append_data_row(out, row);
  protocol::append_command_complete(out, row.empty() ? "SELECT 0" : "SELECT 1");
  protocol::append_ready_for_query(out, 'I');
  return out;
}

TEST(AuthQueryReply, RowGivesTheSecret) {
  AuthQueryReply reply;
  const std::optional<std::string_view> row[] = {"dave"sv, "SCRAM-SHA-256$4096:abc"sv};
  EXPECT_TRUE(feed(reply, answer(row)));
  EXPECT_TRUE(reply.done());
  EXPECT_TRUE(reply.error().empty());
  EXPECT_TRUE(reply.found());
  EXPECT_EQ("SCRAM-SHA-256$4096:abc", reply.secret().value_or(""));
}

TEST(AuthQueryReply, NoRowMeansNoSuchUser) {
  AuthQueryReply reply;
  EXPECT_TRUE(feed(reply, answer({})));
  EXPECT_TRUE(reply.error().empty());
  EXPECT_FALSE(reply.found());
}

TEST(AuthQueryReply, NullPasswordIsFoundWithoutSecret) {
  AuthQueryReply reply;
  const std::optional<std::string_view> row[] = {"frank"sv, std::nullopt};
  feed(reply, answer(row));
  EXPECT_TRUE(reply.found());
  EXPECT_FALSE(reply.secret().has_value());
}

TEST(AuthQueryReply, OneColumnIsAnError) {
  AuthQueryReply reply;
  const std::optional<std::string_view> row[] = {"dave"sv};
  feed(reply, answer(row));
  EXPECT_NE(std::string::npos, reply.error().find("two columns")) << reply.error();
}

TEST(AuthQueryReply, ServerErrorIsReportedWithItsSqlstate) {
  AuthQueryReply reply;
  std::string stream;
  protocol::append_error_response(stream, "ERROR", "42501", "permission denied for view pg_shadow");
  protocol::append_ready_for_query(stream, 'I');
  EXPECT_TRUE(feed(reply, stream));
  EXPECT_EQ("permission denied for view pg_shadow (SQLSTATE 42501)", reply.error());
}

TEST(AuthQueryReply, FirstRowWins) {
  AuthQueryReply reply;
  std::string stream;
  const std::optional<std::string_view> first[] = {"dave"sv, "one"sv};
  const std::optional<std::string_view> second[] = {"dave"sv, "two"sv};
  protocol::append_data_row(stream, first);
  protocol::append_data_row(stream, second);
  protocol::append_ready_for_query(stream, 'I');
  feed(reply, stream);
  EXPECT_EQ("one", reply.secret().value_or(""));
}

TEST(AuthQueryReply, UnexpectedMessagesAndMalformedRowsAreErrors) {
  AuthQueryReply copy_in;
  EXPECT_FALSE(copy_in.add('G', "\0\0\0"sv));
  EXPECT_FALSE(copy_in.error().empty());
  AuthQueryReply empty_query;
  empty_query.add('I', "");
  EXPECT_NE(std::string::npos, empty_query.error().find("empty"));
  AuthQueryReply bad_row;
  bad_row.add('D', "\0\x02\0\0"sv);
  EXPECT_EQ("malformed DataRow", bad_row.error());
  EXPECT_FALSE(bad_row.found());
}

TEST(AuthQueryReply, NothingCountsAfterReadyForQuery) {
  AuthQueryReply reply;
  EXPECT_TRUE(reply.add('Z', "I"));
  const std::optional<std::string_view> row[] = {"dave"sv, "late"sv};
  std::string late;
  protocol::append_data_row(late, row);
  EXPECT_TRUE(reply.add('D', std::string_view(late).substr(5)));
  EXPECT_FALSE(reply.found());
}

}  // namespace
}  // namespace pooler::auth
