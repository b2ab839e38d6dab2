#include "admin/admin_command.h"

#include <gtest/gtest.h>

namespace pooler::admin {
namespace {

TEST(AdminCommand, ShowSubjectIsUpperCasedAndSemicolonIgnored) {
  auto cmd = parse_admin_command("show pools;");
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->verb, "SHOW");
  EXPECT_EQ(cmd->subject, "POOLS");
  EXPECT_EQ(cmd->argument, "");
}

TEST(AdminCommand, DatabaseArgumentKeepsItsCase) {
  auto cmd = parse_admin_command("  PAUSE AppDb ; ");
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->verb, "PAUSE");
  EXPECT_EQ(cmd->argument, "AppDb");
}

TEST(AdminCommand, QuotedArgumentMayHoldSpaces) {
  auto cmd = parse_admin_command("kill \"my db\"");
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->argument, "my db");
}

TEST(AdminCommand, ErrorsSayWhatIsWrong) {
  EXPECT_FALSE(parse_admin_command(""));
  EXPECT_FALSE(parse_admin_command(";"));
  auto missing = parse_admin_command("SHOW");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("SHOW needs a subject"), std::string::npos);
  auto extra = parse_admin_command("PAUSE a b");
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message.find("too many arguments"), std::string::npos);
  EXPECT_FALSE(parse_admin_command("KILL \"unterminated"));
}

TEST(AdminCommand, SetTakesAKeyAndABareOrQuotedValue) {
  auto bare = parse_admin_command("  set Default_Pool_Size = 30;");
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->verb, "SET");
  EXPECT_EQ(bare->subject, "default_pool_size");
  EXPECT_EQ(bare->argument, "30");
  auto quoted = parse_admin_command("SET server_reset_query = 'SELECT ''a = b'';  DISCARD ALL'");
  ASSERT_TRUE(quoted) << quoted.error().message;
  EXPECT_EQ(quoted->subject, "server_reset_query");
  EXPECT_EQ(quoted->argument, "SELECT 'a = b';  DISCARD ALL");
  auto empty = parse_admin_command("SET server_check_query = ''");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->argument, "");
}

TEST(AdminCommand, SetErrorsSayWhatIsWrong) {
  EXPECT_NE(parse_admin_command("SET").error().message.find("key = value"), std::string::npos);
  EXPECT_NE(parse_admin_command("SET pool_mode").error().message.find("key = value"),
            std::string::npos);
  EXPECT_NE(parse_admin_command("SET = 3").error().message.find("key = value"), std::string::npos);
  EXPECT_NE(parse_admin_command("SET a = 'open").error().message.find("unterminated"),
            std::string::npos);
  EXPECT_NE(parse_admin_command("SET a = 'it's'").error().message.find("''"), std::string::npos);
  // SETTINGS is not SET.
  auto other = parse_admin_command("SETTINGS");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->verb, "SETTINGS");
}

}  // namespace
}  // namespace pooler::admin
