#include "takeover/connection_record.h"

#include <gtest/gtest.h>

#include "protocol/message_builder.h"

namespace pooler::takeover {
namespace {

ConnectionRecord sample_client() {
  ConnectionRecord r;
  r.fd = 17;
  r.task = ConnectionRecord::Task::kClient;
  r.user = "alice";
  r.database = "app";
  r.addr = "127.0.0.1";
  r.port = 51544;
  r.cancel = ConnectionRecord::pack_cancel(0x12345678u, 0xdeadbeefu);
  r.link = 23;
  r.client_encoding = "UTF8";
  r.std_strings = "on";
  r.datestyle = "ISO, MDY";
  r.timezone = "Etc/UTC";
  r.scram_client_key = std::string(32, '\x01');
  r.scram_server_key = std::string(32, '\xfe');
  return r;
}

TEST(ConnectionRecord, RoundTripsThroughADataRow) {
  ConnectionRecord in = sample_client();
  auto values = row_from_record(in);
  ASSERT_EQ(values.size(), std::size(kShowFdsColumns));
  std::vector<std::optional<std::string_view>> views;
  for (const auto& v : values)
    views.push_back(v ? std::optional<std::string_view>(*v) : std::nullopt);
  std::string msg;
  protocol::append_data_row(msg, views);
  auto parsed_values = parse_data_row(std::string_view(msg).substr(5));
  ASSERT_TRUE(parsed_values.has_value());
  auto parsed = record_from_row(*parsed_values);
  ASSERT_TRUE(parsed.record) << parsed.error;
  const ConnectionRecord& out = *parsed.record;
  EXPECT_EQ(out.fd, 17);
  EXPECT_EQ(out.task, ConnectionRecord::Task::kClient);
  EXPECT_EQ(out.user, "alice");
  EXPECT_EQ(out.port, 51544);
  EXPECT_EQ(out.cancel_pid(), 0x12345678u);
  EXPECT_EQ(out.cancel_key(), 0xdeadbeefu);
  EXPECT_EQ(out.link, 23);
  EXPECT_EQ(out.datestyle, "ISO, MDY");
  EXPECT_EQ(out.scram_client_key, in.scram_client_key);
  EXPECT_EQ(out.scram_server_key, in.scram_server_key);
}

TEST(ConnectionRecord, AcceptsPgBouncersUnsignedAndSignedCancelKeys) {
  std::vector<std::optional<std::string>> row = {
      "9", "client", "alice", "app", "unix", "6432", "11698025726765902212", "0"};
  auto parsed = record_from_row(row);
  ASSERT_TRUE(parsed.record) << parsed.error;
  EXPECT_EQ(parsed.record->cancel, 11698025726765902212ull);
  row[6] = "-6748718346943649404";  // the same 8 bytes read as int8
  parsed = record_from_row(row);
  ASSERT_TRUE(parsed.record) << parsed.error;
  EXPECT_EQ(parsed.record->cancel, 11698025726765902212ull);
}

TEST(ConnectionRecord, ListenerRowsAreRecognised) {
  std::vector<std::optional<std::string>> row = {"3",    "pooler", std::nullopt, std::nullopt,
                                                 "unix", "6432",   "0",          "0"};
  auto parsed = record_from_row(row);
  ASSERT_TRUE(parsed.record) << parsed.error;
  EXPECT_EQ(parsed.record->task, ConnectionRecord::Task::kListener);
  EXPECT_EQ(parsed.record->addr, "unix");
}

TEST(ConnectionRecord, MalformedRowsNameTheColumn) {
  std::vector<std::optional<std::string>> row = {"x", "client", "a", "b", "unix", "1", "0", "0"};
  EXPECT_NE(record_from_row(row).error.find("bad fd"), std::string::npos);
  row[0] = "1";
  row[1] = "gremlin";
  EXPECT_NE(record_from_row(row).error.find("unknown task"), std::string::npos);
  row[1] = "client";
  row[5] = "port";
  EXPECT_NE(record_from_row(row).error.find("bad port"), std::string::npos);
  EXPECT_NE(record_from_row({"1", "client"}).error.find("expected 15"), std::string::npos);
}

TEST(ConnectionRecord, TruncatedDataRowIsRejected) {
  std::string msg;
  std::vector<std::optional<std::string_view>> views = {std::string_view("abc")};
  protocol::append_data_row(msg, views);
  std::string body = msg.substr(5);
  EXPECT_TRUE(parse_data_row(body).has_value());
  EXPECT_FALSE(parse_data_row(body.substr(0, body.size() - 1)).has_value());
  EXPECT_FALSE(parse_data_row(body + "x").has_value());
  EXPECT_FALSE(parse_data_row("").has_value());
}

}  // namespace
}  // namespace pooler::takeover
