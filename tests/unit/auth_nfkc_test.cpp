#include <gtest/gtest.h>

#include <string>

#include "auth/unicode_nfkc.h"
#include "auth_nfkc_test_vectors.h"

namespace pooler::auth {
namespace {

std::string hex(std::u32string_view s) {
  std::string out;
  char buf[16];
  for (char32_t c : s) {
    snprintf(buf, sizeof buf, "%sU+%04X", out.empty() ? "" : " ", unsigned(c));
    out += buf;
  }
  return out;
}

TEST(Nfkc, AsciiAndEmptyAreUnchanged) {
  EXPECT_EQ(nfkc(U""), U"");
  EXPECT_EQ(nfkc(U"correct horse"), U"correct horse");
}

TEST(Nfkc, FullwidthLettersBecomeAscii) {
  EXPECT_EQ(nfkc(U"\uFF50\uFF41\uFF53\uFF53\uFF11"), U"pass1");
  EXPECT_EQ(nfkc(U"\uFF21\uFF3A"), U"AZ");
}

TEST(Nfkc, LigatureIsExpanded) {
  EXPECT_EQ(nfkc(U"\uFB01"), U"fi");
  EXPECT_EQ(nfkc(U"\uFB03n"), U"ffin");
}

TEST(Nfkc, DecomposedAccentIsComposed) {
  EXPECT_EQ(nfkc(U"e\u0301"), U"\u00E9");
  EXPECT_EQ(nfkc(U"\u00E9"), U"\u00E9");
  // Marks are reordered by combining class before composing: dot below (220) then
  // circumflex (230) onto a, in either order.
  EXPECT_EQ(nfkc(U"a\u0302\u0323"), U"\u1EAD");
  EXPECT_EQ(nfkc(U"a\u0323\u0302"), U"\u1EAD");
  // A composition exclusion stays decomposed (U+0958 -> U+0915 U+093C).
  EXPECT_EQ(nfkc(U"\u0958"), U"\u0915\u093C");
}

TEST(Nfkc, HangulSyllablesRoundTrip) {
  // LV and LVT syllables are unchanged; their conjoining jamo compose back to them.
  EXPECT_EQ(nfkc(U"\uAC00\uD7A3\uD55C"), U"\uAC00\uD7A3\uD55C");
  EXPECT_EQ(nfkc(U"\u1112\u1161\u11AB"), U"\uD55C");  // 한
  EXPECT_EQ(nfkc(U"\u1100\u1161"), U"\uAC00");
  EXPECT_EQ(nfkc(U"\uAC00\u11A8"), U"\uAC01");  // LV + T
  for (char32_t s = 0xAC00; s <= 0xD7A3; ++s) {
    char32_t i = s - 0xAC00;
    std::u32string jamo{char32_t(0x1100 + i / 588), char32_t(0x1161 + i % 588 / 28)};
    if (i % 28) jamo += char32_t(0x11A7 + i % 28);
    ASSERT_EQ(nfkc(jamo), std::u32string(1, s)) << hex(jamo);
    ASSERT_EQ(nfkc(std::u32string(1, s)), std::u32string(1, s));
  }
  // Halfwidth jamo are compatibility characters for conjoining ones.
  EXPECT_EQ(nfkc(U"\uFFA1"), U"\u1100");
}

TEST(Nfkc, LvSyllableAbsorbsTBaseAsPostgreSqlDoes) {
  // UAX #15 leaves U+11A7 alone; PostgreSQL's recompose_code() accepts it as T index 0.
  EXPECT_EQ(nfkc(U"\uAC00\u11A7"), U"\uAC00");
}

TEST(Nfkc, MatchesPythonUnicodedataVectors) {
  ASSERT_GE(std::size(kNfkcVectors), 200u);
  for (const auto& v : kNfkcVectors) {
    EXPECT_EQ(hex(nfkc(v.input)), hex(v.nfkc)) << "input " << hex(v.input);
  }
}

}  // namespace
}  // namespace pooler::auth
