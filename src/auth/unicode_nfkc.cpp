#include "auth/unicode_nfkc.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "auth/unicode_nfkc_tables.h"

namespace pooler::auth {

namespace {

namespace t = nfkc_tables;

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr char32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

bool is_hangul_syllable(char32_t c) {
  return c >= kSBase && c < kSBase + kSCount;
}

int combining_class(char32_t c) {
  if (c < 0x300) return 0;
  auto it =
      std::upper_bound(std::begin(t::kCombiningClass), std::end(t::kCombiningClass), c,
                       [](char32_t v, const t::CombiningClassRange& r) { return v < r.first; });
  if (it == std::begin(t::kCombiningClass)) return 0;
  --it;
  return c <= it->last ? it->ccc : 0;
}

void decompose(char32_t c, std::u32string& out) {
  if (is_hangul_syllable(c)) {
    char32_t s = c - kSBase;
    out += kLBase + s / kNCount;
    out += kVBase + (s % kNCount) / kTCount;
    if (s % kTCount != 0) out += kTBase + s % kTCount;
    return;
  }
  if (c >= 0xA0) {
    auto it = std::lower_bound(std::begin(t::kDecompCodePoint), std::end(t::kDecompCodePoint),
                               uint32_t(c));
    if (it != std::end(t::kDecompCodePoint) && *it == c) {
      uint32_t info = t::kDecompInfo[it - std::begin(t::kDecompCodePoint)];
      const uint32_t* data = t::kDecompData + (info >> 5);
      out.append(data, data + (info & 31));
      return;
    }
  }
  out += c;
}

// PostgreSQL's recompose_code(), including its `code >= TBASE` test for LV + T.
bool compose(char32_t first, char32_t second, char32_t& composite) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase &&
      second < kVBase + kVCount) {
    composite = kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
    return true;
  }
  if (is_hangul_syllable(first) && (first - kSBase) % kTCount == 0 && second >= kTBase &&
      second < kTBase + kTCount) {
    composite = first + (second - kTBase);
    return true;
  }
  auto it =
      std::lower_bound(std::begin(t::kComposition), std::end(t::kComposition),
                       std::pair{uint32_t(first), uint32_t(second)},
                       [](const t::Composition& c, const std::pair<uint32_t, uint32_t>& k) {
                         return c.first < k.first || (c.first == k.first && c.second < k.second);
                       });
  if (it == std::end(t::kComposition) || it->first != first || it->second != second) return false;
  composite = it->composite;
  return true;
}

}  // namespace

std::u32string nfkc(std::u32string_view text) {
  // 1) Full compatibility decomposition.
  std::u32string d;
  d.reserve(text.size());
  for (char32_t c : text) decompose(c, d);
  if (d.empty()) return d;

  // 2) Canonical ordering: a stable sort by combining class of each run of non-starters.
  std::vector<int> cls(d.size());
  for (size_t i = 0; i < d.size(); ++i) cls[i] = combining_class(d[i]);
  for (size_t i = 1; i < d.size(); ++i) {
    for (size_t j = i; j > 0 && cls[j] != 0 && cls[j - 1] > cls[j]; --j) {
      std::swap(d[j - 1], d[j]);
      std::swap(cls[j - 1], cls[j]);
    }
  }

  // 3) Canonical composition, as PostgreSQL's unicode_normalize() does it. A character
  // combines with the last starter unless blocked by an uncombined character of the same or a
  // higher class in between (last_class); the first character is taken as the starter.
  std::u32string out;
  out.reserve(d.size());
  out += d[0];
  size_t starter_pos = 0;
  int last_class = -1;
  for (size_t i = 1; i < d.size(); ++i) {
    char32_t composite;
    if (last_class < cls[i] && compose(out[starter_pos], d[i], composite)) {
      out[starter_pos] = composite;
    } else if (cls[i] == 0) {
      starter_pos = out.size();
      last_class = -1;
      out += d[i];
    } else {
      last_class = cls[i];
      out += d[i];
    }
  }
  return out;
}

}  // namespace pooler::auth
