#pragma once
// Thin wrappers over OpenSSL's libcrypto used by md5 and SCRAM: pure functions, no I/O.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pooler::auth {

using Key = std::array<uint8_t, 32>;  // SHA-256 sized: SCRAM keys, proofs and signatures

// Compares in time that depends only on the lengths (CRYPTO_memcmp), so a secret's
// content does not leak through timing; a length mismatch returns false at once.
bool constant_time_equals(std::string_view a, std::string_view b);

// Fills out with n bytes from OpenSSL's CSPRNG; false if it is not seeded.
bool secure_random(void* out, size_t n);

// Standard base64 (RFC 4648) with padding, as SCRAM and PostgreSQL's secrets use.
std::string base64_encode(std::string_view data);
// Strict: the length must be a multiple of 4, padding only at the end, no whitespace.
std::optional<std::string> base64_decode(std::string_view text);

// Lowercase hex MD5 digest (32 characters).
std::string md5_hex(std::string_view data);

Key sha256(std::string_view data);
Key hmac_sha256(std::string_view key, std::string_view data);
inline std::string_view as_view(const Key& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

// PBKDF2-HMAC-SHA-256 with a 32-byte output: SCRAM's Hi(password, salt, iterations).
Key pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations);

}  // namespace pooler::auth
