#pragma once
// auth_hba_file: PostgreSQL's pg_hba.conf format, the subset PgBouncer reads. Pure: the
// parser gets @file contents through a callback, and matching looks only at the values
// given.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pooler::auth {

enum class HbaMethod { kTrust, kReject, kPassword, kMd5, kScramSha256, kPeer, kCert };
std::string_view to_string(HbaMethod method);

struct HbaRule {
  enum class Type { kLocal, kHost, kHostSsl, kHostNoSsl };
  // A database or user field: keywords, then names (quoted keywords are names).
  struct Names {
    bool all = false;
    bool sameuser = false;     // databases: the database named like the user
    bool replication = false;  // databases: replication connections (pooler has none)
    std::vector<std::string> names;
  };
  Type type = Type::kHost;
  Names databases, users;
  bool any_address = true;  // "all", or a local rule
  int family = 0;           // AF_INET or AF_INET6
  std::array<uint8_t, 16> address{}, mask{};
  HbaMethod method = HbaMethod::kReject;
  int line = 0;
};

// What a client presents to the rules.
struct HbaRequest {
  bool unix_socket = false;
  bool tls = false;
  std::string_view address;  // the client's IP address as text; ignored for Unix sockets
  std::string_view database;
  std::string_view user;
};

struct HbaFile {
  std::string filename;
  std::vector<HbaRule> rules;

  // The first rule that matches, as PostgreSQL picks it; nullptr when none does, which
  // PostgreSQL treats as a rejection.
  const HbaRule* match(const HbaRequest& request) const;
};

// Reads an @file named in a database or user field (the path as written, relative paths
// relative to the hba file's directory); an error makes the whole file fail.
using HbaIncludeReader = std::function<Result<std::string>(const std::string& path)>;

// Errors read "<filename>:<line>: <what>". Lines are records of fields separated by blanks;
// '#' starts a comment; fields may be comma-separated lists and double-quoted.
Result<HbaFile> parse_hba(std::string_view text, const std::string& filename,
                          const HbaIncludeReader& read_include);

// Reads the file and any @files it names (the only I/O in this module).
Result<HbaFile> load_hba(const std::string& path);

}  // namespace pooler::auth
