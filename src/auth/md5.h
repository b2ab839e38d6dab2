#pragma once
// PostgreSQL's md5 password scheme (AuthenticationMD5Password).
#include <cstdint>
#include <string>
#include <string_view>

namespace pooler::auth {

// What PostgreSQL stores for a password: "md5" + md5_hex(password + user).
std::string md5_secret(std::string_view password, std::string_view user);

// What a client sends in its PasswordMessage for a 4-byte salt (without the trailing NUL):
// "md5" + md5_hex(<32 hex digits of md5_secret> + salt).
std::string md5_response(std::string_view md5_secret, const uint8_t salt[4]);

// Checks a client's md5 response against a stored Plain or Md5 secret, in constant time
// for equal lengths. A Scram secret cannot answer an md5 challenge: false.
bool verify_md5_response(std::string_view stored_secret, std::string_view user,
                         const uint8_t salt[4], std::string_view response);

}  // namespace pooler::auth
