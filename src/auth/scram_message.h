#pragma once
// Attribute syntax shared by the SCRAM client and server (RFC 5802 section 7).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pooler::auth::scram {

struct Attribute {
  char name;
  std::string_view value;
};

// Splits "a=x,b=y" into attributes; nullopt unless every part is ALPHA "=" value. Values
// cannot contain ',' in SCRAM (saslnames escape it), so a plain split is exact.
std::optional<std::vector<Attribute>> split_attributes(std::string_view message);

// A nonce is 1+ printable ASCII characters other than ',' (RFC 5802 "printable").
bool is_printable_nonce(std::string_view nonce);

// A client-supplied string quoted for an error message: non-printable bytes become '?' and
// long values are cut, so an unauthenticated peer cannot fill logs with garbage.
std::string sanitize(std::string_view s);

// Default nonce: 18 random bytes in base64, like PostgreSQL; empty if randomness fails.
std::string random_nonce();

}  // namespace pooler::auth::scram
