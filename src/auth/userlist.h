#pragma once
// PgBouncer's auth_file (userlist.txt): one `"username" "secret"` pair per line.
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pooler::auth {

struct Userlist {
  std::map<std::string, std::string, std::less<>> secrets;  // user -> plain, md5 or SCRAM secret

  // nullptr when the user is not listed.
  const std::string* find(std::string_view user) const;
};

// Parses the file's text. Format, as PgBouncer reads it: each entry line starts with a
// double-quoted user name followed by a double-quoted secret; inside quotes "" stands for
// one quote; anything after the secret is ignored; blank lines and lines whose first
// non-blank character is ';' are skipped. A later entry for the same user replaces an
// earlier one. Errors read "<filename>:<line>: <what>".
Result<Userlist> parse_userlist(std::string_view text, const std::string& filename);

// Reads and parses the file at path (the only I/O in the auth module).
Result<Userlist> load_userlist(const std::string& path);

enum class SecretKind { Plain, Md5, Scram };

// "md5" followed by 32 hex digits is Md5, a "SCRAM-SHA-256$" prefix is Scram, anything else
// is a plaintext password (the same test PostgreSQL's get_password_type makes).
SecretKind secret_kind(std::string_view secret);

}  // namespace pooler::auth
