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

}  // namespace
}  // namespace pooler::admin
