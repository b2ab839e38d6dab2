#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "auth/userlist.h"

namespace pooler::auth {
namespace {

TEST(ParseUserlist, ReadsQuotedPairsAndIgnoresTheRestOfTheLine) {
  auto list = parse_userlist(
      "\"alice\" \"secret\"\n"
      "\"bob\"\t\"md5d054392f985a267df752bb2b16be2f2f\" \"ignored third column\"\n",
      "userlist.txt");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->secrets.size(), 2u);
  ASSERT_NE(list->find("alice"), nullptr);
  EXPECT_EQ(*list->find("alice"), "secret");
  EXPECT_EQ(*list->find("bob"), "md5d054392f985a267df752bb2b16be2f2f");
  EXPECT_EQ(list->find("carol"), nullptr);
}

TEST(ParseUserlist, DoubledQuoteInsideQuotesIsOneQuote) {
  auto list = parse_userlist(R"("we""ird" "pa""ss""")", "u.txt");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_NE(list->find("we\"ird"), nullptr);
  EXPECT_EQ(*list->find("we\"ird"), "pa\"ss\"");
}

TEST(ParseUserlist, SkipsCommentsBlankLinesAndCarriageReturns) {
  auto list = parse_userlist(
      "; a comment\n"
      "\n"
      "   \t\n"
      "  ; indented comment \"x\" \"y\"\n"
      "\"alice\" \"secret\"\r\n"
      "\"semi\" \"with;semicolon\"  ; trailing\n",
      "u.txt");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->secrets.size(), 2u);
  EXPECT_EQ(*list->find("alice"), "secret");
  EXPECT_EQ(*list->find("semi"), "with;semicolon");
}

TEST(ParseUserlist, EmptyTextIsAnEmptyList) {
  auto list = parse_userlist("", "u.txt");
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->secrets.empty());
}

TEST(ParseUserlist, LaterEntryForSameUserWins) {
  auto list = parse_userlist("\"a\" \"one\"\n\"a\" \"two\"\n", "u.txt");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list->find("a"), "two");
}

TEST(ParseUserlist, UnquotedUserIsAnErrorWithFileAndLine) {
  auto list = parse_userlist("\"alice\" \"secret\"\n; ok\nbob \"secret\"\n", "/etc/pooler/u.txt");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().message.rfind("/etc/pooler/u.txt:3: ", 0), 0u) << list.error().message;
}

TEST(ParseUserlist, UnterminatedQuoteIsAnError) {
  auto list = parse_userlist("\"alice\" \"secret\n", "u.txt");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().message.rfind("u.txt:1: ", 0), 0u) << list.error().message;
  EXPECT_NE(list.error().message.find("unterminated"), std::string::npos);
}

TEST(ParseUserlist, MissingPasswordIsAnError) {
  auto list = parse_userlist("\n\"alice\"\n", "u.txt");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().message.rfind("u.txt:2: ", 0), 0u) << list.error().message;
}

TEST(LoadUserlist, ReadsAFileAndReportsAMissingOne) {
  std::string path = ::testing::TempDir() + "auth_userlist_test.txt";
  {
    std::ofstream out(path);
    out << "\"alice\" \"secret\"\n";
  }
  auto list = load_userlist(path);
  std::remove(path.c_str());
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(*list->find("alice"), "secret");

  auto missing = load_userlist(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
}

TEST(SecretKind, ClassifiesLikePostgreSql) {
  EXPECT_EQ(secret_kind("md5d054392f985a267df752bb2b16be2f2f"), SecretKind::Md5);
  EXPECT_EQ(secret_kind("md5d054392f985a267df752bb2b16be2f2"), SecretKind::Plain);   // 31 hex
  EXPECT_EQ(secret_kind("md5d054392f985a267df752bb2b16be2f2g"), SecretKind::Plain);  // not hex
  EXPECT_EQ(secret_kind("SCRAM-SHA-256$4096:abc$def:ghi"), SecretKind::Scram);
  EXPECT_EQ(secret_kind("secret"), SecretKind::Plain);
  EXPECT_EQ(secret_kind(""), SecretKind::Plain);
}

}  // namespace
}  // namespace pooler::auth
