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

// The values share one string: setting one in any order must leave the others intact.
TEST(ParameterSet, ValuesSetInAnyOrderAndReplacedKeepTheirNeighbours) {
  ParameterSet p;
  p.set(TrackedParam::kTimeZone, "UTC");
  p.set(TrackedParam::kClientEncoding, "UTF8");
  p.set(TrackedParam::kIntervalStyle, "");
  p.set(TrackedParam::kApplicationName, "app");
  EXPECT_EQ("UTF8", p.get(TrackedParam::kClientEncoding));
  EXPECT_EQ("UTC", p.get(TrackedParam::kTimeZone));
  EXPECT_EQ("app", p.get(TrackedParam::kApplicationName));
  EXPECT_TRUE(p.has(TrackedParam::kIntervalStyle));
  EXPECT_EQ("", p.get(TrackedParam::kIntervalStyle));
  EXPECT_FALSE(p.has(TrackedParam::kDateStyle));
  EXPECT_EQ("", p.get(TrackedParam::kDateStyle));

  p.set(TrackedParam::kTimeZone, "America/Argentina/Buenos_Aires");
  p.set(TrackedParam::kClientEncoding, "");
  EXPECT_EQ("", p.get(TrackedParam::kClientEncoding));
  EXPECT_EQ("America/Argentina/Buenos_Aires", p.get(TrackedParam::kTimeZone));
  EXPECT_EQ("app", p.get(TrackedParam::kApplicationName));
  EXPECT_EQ("", p.get(TrackedParam::kIntervalStyle));

  ParameterSet copy = p;
  copy.set(TrackedParam::kApplicationName, "other");
  EXPECT_EQ("app", p.get(TrackedParam::kApplicationName));
  EXPECT_EQ("SET application_name='other';", ParameterSet::sync_query(copy, p));
}

}  // namespace
}  // namespace pooler::pool
