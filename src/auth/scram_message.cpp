#include "auth/scram_message.h"

#include <cstdint>

#include "auth/crypto.h"

namespace pooler::auth::scram {

std::optional<std::vector<Attribute>> split_attributes(std::string_view message) {
  std::vector<Attribute> out;
  while (true) {
    size_t comma = message.find(',');
    std::string_view part = message.substr(0, comma);
    bool alpha =
        !part.empty() && ((part[0] >= 'a' && part[0] <= 'z') || (part[0] >= 'A' && part[0] <= 'Z'));
    if (!alpha || part.size() < 2 || part[1] != '=') return std::nullopt;
    out.push_back(Attribute{part[0], part.substr(2)});
    if (comma == std::string_view::npos) return out;
    message.remove_prefix(comma + 1);
  }
}

bool is_printable_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

std::string sanitize(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    char c = s[i];
    out += (c >= 0x20 && c <= 0x7E) ? c : '?';
  }
  if (s.size() > kMax) out += "...";
  return out;
}

std::string random_nonce() {
  uint8_t raw[18];
  if (!secure_random(raw, sizeof raw)) return {};
  return base64_encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
}

}  // namespace pooler::auth::scram
