#pragma once
// A whole pooler configuration as read from a PgBouncer-format ini file: [pooler] (alias
// [pgbouncer]) settings, [databases] and [users]. Parsing is pure; every problem is a
// Diagnostic that names file:line and key, the way a compiler would.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/setting_table.h"
#include "config/settings.h"
#include "core/result.h"

namespace pooler::config {

struct Location {
  std::string file;
  int line = 0;  // 0: the file as a whole
};

struct Diagnostic {
  Location where;
  std::string key;  // setting, database or user name; may be empty
  std::string message;
  // "pooler.ini:12: default_pool_size: \"abc\" is not a number"
  std::string to_string() const;
};

struct DatabaseEntry {  // one line of [databases]; name "*" is the fallback
  std::string name;
  std::string host;  // empty = Unix socket default; may be a path starting with '/'
  int port = 5432;
  std::string dbname;          // empty = same as name
  std::string user, password;  // forced server user/password; empty = client's
  std::string auth_user;       // runs auth_query for users not in auth_file
  std::optional<int> pool_size, min_pool_size, reserve_pool, max_db_connections;
  std::optional<PoolMode> pool_mode;
  std::string connect_query, client_encoding, datestyle, timezone, application_name;
  Location where;
};

struct UserEntry {  // one line of [users]
  std::string name;
  std::optional<PoolMode> pool_mode;
  std::optional<int> max_user_connections;
  Location where;
};

struct Config {
  std::string path;  // main file
  Settings settings;
  std::vector<DatabaseEntry> databases;  // in file order; a redefinition replaces in place
  std::vector<UserEntry> users;

  // Exact match, else the "*" fallback, else nullptr.
  const DatabaseEntry* find_database(std::string_view name) const;
  const UserEntry* find_user(std::string_view name) const;
};

struct LoadResult {
  std::optional<Config> config;  // set only if errors is empty
  std::vector<Diagnostic> errors, warnings;
  bool ok() const { return errors.empty() && config.has_value(); }
};

// Returns a file's contents, or nullopt if it cannot be read.
using FileReader = std::function<Result<std::string>(const std::string& path)>;

// Largest %include nesting accepted; deeper is reported as an error.
inline constexpr int kMaxIncludeDepth = 10;

// Pure parser. `read_file` is used only for %include; a relative include path resolves
// against the including file's directory.
LoadResult parse_config(std::string_view text, const std::string& filename,
                        const FileReader& read_file);

// Reads `path` from disk (and its includes) and parses it.
LoadResult load_config_file(const std::string& path);

// One line for --check-config: "pooler.ini: OK: 3 databases, 1 user override,
// listen 127.0.0.1:6432, unix /tmp, auth md5, pool_mode transaction".
std::string summarize(const Config& config);

}  // namespace pooler::config
