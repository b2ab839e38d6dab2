#pragma once
// Network byte order (big-endian) loads and stores used by the codec.
#include <cstdint>
#include <string>

namespace pooler::protocol {

inline uint32_t load_be32(const uint8_t* p) noexcept {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

inline uint16_t load_be16(const uint8_t* p) noexcept {
  return uint16_t((uint16_t(p[0]) << 8) | uint16_t(p[1]));
}

inline void store_be32(char* p, uint32_t v) noexcept {
  p[0] = char(v >> 24);
  p[1] = char(v >> 16);
  p[2] = char(v >> 8);
  p[3] = char(v);
}

inline void append_be32(std::string& out, uint32_t v) {
  char buf[4];
  store_be32(buf, v);
  out.append(buf, 4);
}

inline void append_be16(std::string& out, uint16_t v) {
  out.push_back(char(v >> 8));
  out.push_back(char(v));
}

}  // namespace pooler::protocol
