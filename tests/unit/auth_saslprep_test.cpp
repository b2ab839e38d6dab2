#include <gtest/gtest.h>

#include "auth/saslprep.h"

namespace pooler::auth {
namespace {

TEST(Saslprep, AsciiIsUnchangedEvenWithControlCharacters) {
  EXPECT_EQ(saslprep("pencil"), "pencil");
  EXPECT_EQ(saslprep("a b\tc\x7f"), "a b\tc\x7f");  // PostgreSQL skips all checks for ASCII
  EXPECT_EQ(saslprep(""), "");
}

TEST(Saslprep, NonAsciiSpaceBecomesSpace) {
  EXPECT_EQ(saslprep("a\u00A0b"), "a b");
  EXPECT_EQ(saslprep("a\u3000b"), "a b");  // ideographic space
}

TEST(Saslprep, MappedToNothingCharactersAreRemoved) {
  EXPECT_EQ(saslprep("I\u00ADX"), "IX");  // soft hyphen, RFC 4013 example
  EXPECT_EQ(saslprep("a\u200Db\uFEFFc"), "abc");
}

TEST(Saslprep, OtherUnicodeIsKept) {
  EXPECT_EQ(saslprep("pässwörd€"), "pässwörd€");
}

TEST(Saslprep, ResultIsNormalizedToNfkc) {
  EXPECT_EQ(saslprep("\uFF50\uFF41\uFF53\uFF53"), "pass");  // fullwidth letters
  EXPECT_EQ(saslprep("\uFB01x"), "fix");                    // ligature
  EXPECT_EQ(saslprep("caf\u0065\u0301"), "caf\u00E9");      // decomposed accent
  EXPECT_EQ(saslprep("\u00A0\u00BD"), " 1\u20442");         // mapping, then NFKC
  EXPECT_EQ(saslprep("\u2474\u2126"), "(1)\u03A9");         // parenthesized one, ohm sign
}

TEST(Saslprep, InvalidUtf8IsReturnedUnchanged) {
  for (std::string s : {std::string("a\xff"), std::string("\xc3"), std::string("\xc0\xaf"),
                        std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
                        std::string("\xc2\xa0\x80")}) {
    EXPECT_EQ(saslprep(s), s);
  }
}

TEST(Saslprep, ProhibitedCharactersMakeItFallBackToTheInput) {
  // A non-ASCII string with an ASCII control character (C.2.1), a private-use character
  // (C.3) or an unassigned code point (A.1) is used raw, as PostgreSQL does.
  for (std::string s : {"\u00A0\x07", "a\uE000\u00A0", "a\u0221\u00A0"}) EXPECT_EQ(saslprep(s), s);
}

TEST(Saslprep, EmptyResultFallsBackToTheInput) {
  EXPECT_EQ(saslprep("\u00AD"), "\u00AD");
}

TEST(Saslprep, BidiRulesAreEnforced) {
  EXPECT_EQ(saslprep("\u05D0\u00A0\u05D1"), "\u05D0 \u05D1");  // all right-to-left: mapped
  EXPECT_EQ(saslprep("\u05D0a\u00A0"), "\u05D0a\u00A0");       // mixes R and L: raw
  EXPECT_EQ(saslprep("1\u05D0"), "1\u05D0");                   // R not at both ends: raw
}

}  // namespace
}  // namespace pooler::auth
