#include "auth/saslprep.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "auth/saslprep_tables.h"
#include "auth/unicode_nfkc.h"

namespace pooler::auth {

namespace {

using saslprep_tables::Range;

bool in_table(uint32_t cp, std::span<const Range> table) {
  auto it = std::upper_bound(table.begin(), table.end(), cp,
                             [](uint32_t c, const Range& r) { return c < r.first; });
  return it != table.begin() && cp <= std::prev(it)->last;
}

// Strict UTF-8 decoding (no overlongs, surrogates or values above U+10FFFF), as PostgreSQL's
// pg_utf8_islegal checks; nullopt when the input is not valid UTF-8.
std::optional<std::vector<uint32_t>> decode_utf8(std::string_view s) {
  std::vector<uint32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    int len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1, cp = c;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (int j = 1; j < len; ++j) {
      uint8_t cc = uint8_t(s[i + j]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    // PostgreSQL's strings end at NUL; a NUL inside is not something it could have hashed.
    if (cp == 0) return std::nullopt;
    out.push_back(cp);
    i += len;
  }
  return out;
}

void encode_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string saslprep(std::string_view password) {
  if (std::all_of(password.begin(), password.end(), [](char c) { return uint8_t(c) < 0x80; })) {
    return std::string(password);
  }
  auto decoded = decode_utf8(password);
  if (!decoded) return std::string(password);

  // 1) Map.
  std::u32string mapped;
  mapped.reserve(decoded->size());
  for (uint32_t cp : *decoded) {
    if (in_table(cp, saslprep_tables::kNonAsciiSpace)) {
      mapped += U' ';
    } else if (!in_table(cp, saslprep_tables::kMappedToNothing)) {
      mapped += char32_t(cp);
    }
  }
  if (mapped.empty()) return std::string(password);  // PostgreSQL refuses an empty result

  // 2) Normalize (NFKC).
  std::u32string chars = nfkc(mapped);

  // 3) Prohibit. 4) Bidi: with any RandALCat character, no LCat is allowed and the string
  // must start and end with RandALCat.
  bool has_randal = false;
  for (char32_t cp : chars) {
    if (in_table(cp, saslprep_tables::kProhibited) || in_table(cp, saslprep_tables::kUnassigned)) {
      return std::string(password);
    }
    has_randal = has_randal || in_table(cp, saslprep_tables::kRandALCat);
  }
  if (has_randal) {
    for (char32_t cp : chars) {
      if (in_table(cp, saslprep_tables::kLCat)) return std::string(password);
    }
    if (!in_table(chars.front(), saslprep_tables::kRandALCat) ||
        !in_table(chars.back(), saslprep_tables::kRandALCat)) {
      return std::string(password);
    }
  }

  std::string out;
  out.reserve(password.size());
  for (char32_t cp : chars) encode_utf8(cp, out);
  return out;
}

}  // namespace pooler::auth
