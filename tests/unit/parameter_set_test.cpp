#include "pool/parameter_set.h"

#include <gtest/gtest.h>

namespace pooler::pool {
namespace {

TEST(ParameterSet, TrackedNamesAreCaseInsensitive) {
  EXPECT_EQ(tracked_param_by_name("timezone"), TrackedParam::kTimeZone);
  EXPECT_EQ(tracked_param_by_name("DATESTYLE"), TrackedParam::kDateStyle);
  EXPECT_FALSE(tracked_param_by_name("search_path").has_value());
}

TEST(ParameterSet, NoQueryWhenServerAlreadyMatches) {
  ParameterSet client, server;
  client.set("TimeZone", "UTC");
  server.set("TimeZone", "UTC");
  EXPECT_EQ(ParameterSet::sync_query(client, server), "");
}

TEST(ParameterSet, SetsOnlyWhatDiffers) {
  ParameterSet client, server;
  client.set("TimeZone", "Asia/Tokyo");
  client.set("client_encoding", "UTF8");
  server.set("TimeZone", "UTC");
  server.set("client_encoding", "UTF8");
  EXPECT_EQ(ParameterSet::sync_query(client, server), "SET TimeZone='Asia/Tokyo';");
}

TEST(ParameterSet, EmptyValueIsStillAValueToRestore) {
  // Client B never set application_name; the server still carries client A's 'a'.
  ParameterSet defaults, client_b, server;
  defaults.set("application_name", "");
  client_b.fill_missing_from(defaults);
  server.set("application_name", "a");
  EXPECT_EQ(ParameterSet::sync_query(client_b, server), "SET application_name='';");
}

TEST(ParameterSet, QuotesAreDoubled) {
  ParameterSet client, server;
  client.set("application_name", "it's");
  EXPECT_EQ(ParameterSet::sync_query(client, server), "SET application_name='it''s';");
}

TEST(ParameterSet, FillMissingKeepsClientValues) {
  ParameterSet defaults, client;
  defaults.set("TimeZone", "UTC");
  defaults.set("DateStyle", "ISO, MDY");
  client.set("TimeZone", "Europe/Berlin");
  client.fill_missing_from(defaults);
  EXPECT_EQ(client.get(TrackedParam::kTimeZone), "Europe/Berlin");
  EXPECT_EQ(client.get(TrackedParam::kDateStyle), "ISO, MDY");
  EXPECT_FALSE(client.has(TrackedParam::kIntervalStyle));
}

}  // namespace
}  // namespace pooler::pool
