#include "takeover/restart_state.h"

#include <gtest/gtest.h>

namespace pooler::takeover {
namespace {

RestartState sample() {
  RestartState st;
  ConnectionRecord client;
  client.fd = 11;
  client.task = ConnectionRecord::Task::kClient;
  client.user = "alice";
  client.database = "app";
  client.addr = "127.0.0.1";
  client.port = 40000;
  client.cancel = ConnectionRecord::pack_cancel(7, 9);
  client.timezone = "Asia/Tokyo";
  ConnectionRecord server = client;
  server.fd = 12;
  server.task = ConnectionRecord::Task::kServer;
  server.port = 5432;
  st.connections = {{"client-1", client}, {"server-1", server}};
  ExtraState params;
  params.kind = ExtraState::Kind::kClient;
  params.fd = 11;
  params.values = {{"application_name", "app one"}};
  ExtraState stats;
  stats.kind = ExtraState::Kind::kDatabase;
  stats.name = "app";
  stats.values = {{"xact_count", "42"}};
  st.extra = {params, stats};
  return st;
}

TEST(RestartState, RoundTripKeepsRecordsParametersAndStats) {
  auto decoded = decode_restart_state(encode_restart_state(sample()));
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->connections.size(), 2u);
  EXPECT_EQ(decoded->connections[0].first, "client-1");
  EXPECT_EQ(decoded->connections[0].second.timezone, "Asia/Tokyo");
  EXPECT_EQ(decoded->connections[0].second.cancel_key(), 9u);
  EXPECT_EQ(decoded->connections[1].second.task, ConnectionRecord::Task::kServer);
  bool saw_params = false, saw_stats = false;
  for (const auto& e : decoded->extra) {
    if (e.kind == ExtraState::Kind::kClient && e.fd == 11) {
      saw_params = e.values.at("application_name") == "app one";
    }
    if (e.kind == ExtraState::Kind::kDatabase) saw_stats = e.values.at("xact_count") == "42";
  }
  EXPECT_TRUE(saw_params);
  EXPECT_TRUE(saw_stats);
}

TEST(RestartState, UnknownVersionIsRefusedByName) {
  std::string text = encode_restart_state(sample());
  text.replace(text.find(' ') + 1, 1, "9");
  auto decoded = decode_restart_state(text);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("version 9 is not understood"), std::string::npos)
      << decoded.error().message;
}

TEST(RestartState, GarbageAndTruncationAreRefused) {
  EXPECT_FALSE(decode_restart_state("hello"));
  std::string text = encode_restart_state(sample());
  EXPECT_FALSE(decode_restart_state(text.substr(0, text.size() - 2)));
  EXPECT_TRUE(decode_restart_state("pooler-state 1\n"));
}

}  // namespace
}  // namespace pooler::takeover
