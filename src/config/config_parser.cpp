// The ini reader: lines, sections, %include, and the [databases]/[users] connection strings.
#include <climits>
#include <filesystem>
#include <map>

#include "config/config.h"
#include "config/connstring.h"
#include "config/value_parse.h"

namespace pooler::config {

namespace {

enum class Section { None, Pooler, Databases, Users, Unknown };

std::string quote_text(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string location_text(const Location& where) {
  return where.file + ":" + std::to_string(where.line);
}

// Resolves an %include path against the including file's directory, lexically only (no
// I/O), so that the same file reached two ways is still recognised as recursion.
std::string resolve_include(const std::string& including_file, std::string_view target) {
  std::filesystem::path p{std::string(target)};
  if (p.is_relative()) {
    std::filesystem::path dir = std::filesystem::path(including_file).parent_path();
    if (!dir.empty()) p = dir / p;
  }
  return p.lexically_normal().string();
}

class Parser {
 public:
  explicit Parser(const FileReader& read_file) : read_file_(read_file) {}

  void parse_file(std::string_view text, const std::string& filename) {
    include_stack_.push_back(std::filesystem::path(filename).lexically_normal().string());
    int line_no = 0;
    size_t start = 0;
    while (true) {
      size_t nl = text.find('\n', start);
      size_t end = nl == std::string_view::npos ? text.size() : nl;
      parse_line(trim(text.substr(start, end - start)), Location{filename, ++line_no});
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    include_stack_.pop_back();
  }

  LoadResult finish(const std::string& filename) {
    const Settings& s = config_.settings;
    if (s.listen_addr.empty() && s.unix_socket_dir.empty()) {
      warn(Location{filename, 0}, "listen_addr",
           "neither listen_addr nor unix_socket_dir is set: no listener unless sockets are "
           "passed in by systemd");
    }
    LoadResult result;
    result.errors = std::move(errors_);
    result.warnings = std::move(warnings_);
    if (result.errors.empty()) {
      config_.path = filename;
      result.config = std::move(config_);
    }
    return result;
  }

 private:
  void error(const Location& where, std::string key, std::string message) {
    errors_.push_back(Diagnostic{where, std::move(key), std::move(message)});
  }
  void warn(const Location& where, std::string key, std::string message) {
    warnings_.push_back(Diagnostic{where, std::move(key), std::move(message)});
  }

  void parse_line(std::string_view line, const Location& where) {
    if (line.empty() || line[0] == ';' || line[0] == '#') return;
    if (line[0] == '%') return parse_directive(line, where);
    if (line[0] == '[') return parse_section(line, where);
    parse_key_value(line, where);
  }

  void parse_directive(std::string_view line, const Location& where) {
    constexpr std::string_view kInclude = "%include";
    bool is_include = line.size() >= kInclude.size() &&
                      iequals(line.substr(0, kInclude.size()), kInclude) &&
                      (line.size() == kInclude.size() || line[kInclude.size()] == ' ' ||
                       line[kInclude.size()] == '\t');
    if (!is_include) {
      std::string_view word = line.substr(0, line.find_first_of(" \t"));
      error(where, std::string(word), "unknown directive; only %include is supported");
      return;
    }
    std::string_view target = trim(line.substr(kInclude.size()));
    if (target.empty()) {
      error(where, "%include", "missing file name");
      return;
    }
    std::string path = resolve_include(where.file, target);
    for (const std::string& open : include_stack_) {
      if (open == path) {
        std::string chain;
        for (const std::string& f : include_stack_) chain += f + " -> ";
        error(where, "%include", "include recursion: " + chain + path);
        return;
      }
    }
    if (static_cast<int>(include_stack_.size()) > kMaxIncludeDepth) {
      error(where, "%include",
            "includes nested deeper than " + std::to_string(kMaxIncludeDepth) + " levels");
      return;
    }
    Result<std::string> contents =
        read_file_ ? read_file_(path) : Result<std::string>(Error{"no file reader"});
    if (!contents) {
      error(where, "%include",
            "could not read include file " + quote_text(path) + ": " + contents.error().message);
      return;
    }
    parse_file(contents.value(), path);
  }

  void parse_section(std::string_view line, const Location& where) {
    size_t close = line.find(']');
    if (close == std::string_view::npos) {
      error(where, "", "missing ']' in section header");
      return;
    }
    std::string_view rest = trim(line.substr(close + 1));
    if (!rest.empty() && rest[0] != ';' && rest[0] != '#') {
      error(where, "", "unexpected text after section header: " + quote_text(rest));
      return;
    }
    std::string name = to_lower(trim(line.substr(1, close - 1)));
    if (name == "pooler" || name == "pgbouncer") {
      section_ = Section::Pooler;
    } else if (name == "databases") {
      section_ = Section::Databases;
    } else if (name == "users") {
      section_ = Section::Users;
    } else {
      section_ = Section::Unknown;
      warn(where, "", "unknown section [" + name + "], its lines are ignored");
    }
  }

  void parse_key_value(std::string_view line, const Location& where) {
    std::string key;
    std::string_view rest;
    if (line[0] == '"') {
      // A quoted database name may hold any character; "" stands for one quote.
      size_t pos = 1;
      bool closed = false;
      while (pos < line.size()) {
        if (line[pos] == '"') {
          if (pos + 1 < line.size() && line[pos + 1] == '"') {
            key += '"';
            pos += 2;
            continue;
          }
          closed = true;
          ++pos;
          break;
        }
        key += line[pos++];
      }
      if (!closed) {
        error(where, key, "unterminated quoted name");
        return;
      }
      rest = trim(line.substr(pos));
      if (rest.empty() || rest[0] != '=') {
        error(where, key, "expected '=' after the quoted name");
        return;
      }
      rest.remove_prefix(1);
    } else {
      size_t eq = line.find('=');
      if (eq == std::string_view::npos) {
        std::string_view word = line.substr(0, line.find_first_of(" \t"));
        error(where, std::string(word), "expected \"key = value\", found no '='");
        return;
      }
      std::string_view raw_key = trim(line.substr(0, eq));
      if (raw_key.empty()) {
        error(where, "", "missing key before '='");
        return;
      }
      if (raw_key.find_first_of(" \t") != std::string_view::npos) {
        error(where, std::string(raw_key),
              "key contains spaces (a database name with spaces must be in double quotes)");
        return;
      }
      key.assign(raw_key);
      rest = line.substr(eq + 1);
    }
    std::string_view value = trim(rest);

    switch (section_) {
      case Section::None:
        error(where, key, "setting outside any section; put it under [pooler]");
        return;
      case Section::Unknown:
        return;
      case Section::Pooler:
        return set_setting(key, value, where);
      case Section::Databases:
        return add_database(key, value, where);
      case Section::Users:
        return add_user(key, value, where);
    }
  }

  void set_setting(const std::string& key, std::string_view value, const Location& where) {
    std::string lower = to_lower(key);
    ApplyOutcome outcome = apply_setting(config_.settings, lower, value);
    if (!outcome.known) {
      warn(where, key, "unknown setting, ignored");
      return;
    }
    if (!outcome.error.empty()) {
      error(where, lower, outcome.error);
      return;
    }
    if (!outcome.warning.empty()) warn(where, lower, outcome.warning);
    auto [it, inserted] = setting_seen_.try_emplace(lower, where);
    if (!inserted) {
      // PgBouncer silently lets the last one win; say so, since it is rarely intended.
      warn(where, lower, "set again; overrides the value from " + location_text(it->second));
      it->second = where;
    }
  }

  static Result<int> count_param(const std::string& key, const std::string& value) {
    Result<int> r = parse_int(value, 0, INT_MAX);
    if (!r) return make_error(key + ": " + r.error().message);
    return r;
  }

  // Fills `db` from its connection string; returns the first problem or "".
  static std::string fill_database(DatabaseEntry& db, std::string_view connstr) {
    Result<ConnStringPairs> pairs = split_connstring(connstr);
    if (!pairs) return pairs.error().message;
    for (auto& [key, value] : pairs.value()) {
      std::optional<int>* count = nullptr;
      std::string* text = nullptr;
      if (key == "host") {
        text = &db.host;
      } else if (key == "dbname") {
        text = &db.dbname;
      } else if (key == "user") {
        text = &db.user;
      } else if (key == "password") {
        text = &db.password;
      } else if (key == "auth_user") {
        text = &db.auth_user;
      } else if (key == "connect_query") {
        text = &db.connect_query;
      } else if (key == "client_encoding") {
        text = &db.client_encoding;
      } else if (key == "datestyle") {
        text = &db.datestyle;
      } else if (key == "timezone") {
        text = &db.timezone;
      } else if (key == "application_name") {
        text = &db.application_name;
      } else if (key == "pool_size") {
        count = &db.pool_size;
      } else if (key == "min_pool_size") {
        count = &db.min_pool_size;
      } else if (key == "reserve_pool") {
        count = &db.reserve_pool;
      } else if (key == "max_db_connections") {
        count = &db.max_db_connections;
      } else if (key == "port") {
        Result<int> port = parse_int(value, 1, 65535);
        if (!port) return "port: " + port.error().message;
        db.port = port.value();
        continue;
      } else if (key == "pool_mode") {
        std::optional<PoolMode> mode = parse_pool_mode(value);
        if (!mode) return "pool_mode: must be one of session, transaction, statement";
        db.pool_mode = mode;
        continue;
      } else {
        std::string msg = "unknown connection parameter " + quote_text(key);
        if (key == "reserve_pool_size") msg += " (the per-database key is reserve_pool)";
        return msg;
      }
      if (text != nullptr) {
        *text = value;
      } else {
        Result<int> n = count_param(key, value);
        if (!n) return n.error().message;
        *count = n.value();
      }
    }
    return "";
  }

  void add_database(const std::string& name, std::string_view connstr, const Location& where) {
    if (iequals(name, "pooler") || iequals(name, "pgbouncer")) {
      error(where, name, "database name is reserved for the admin console");
      return;
    }
    DatabaseEntry db;
    db.name = name;
    db.where = where;
    std::string problem = fill_database(db, connstr);
    if (!problem.empty()) {
      error(where, name, problem);
      return;
    }
    for (DatabaseEntry& existing : config_.databases) {
      if (existing.name == name) {
        warn(where, name,
             "database defined again; replaces the one at " + location_text(existing.where));
        existing = std::move(db);
        return;
      }
    }
    config_.databases.push_back(std::move(db));
  }

  void add_user(const std::string& name, std::string_view connstr, const Location& where) {
    UserEntry user;
    user.name = name;
    user.where = where;
    Result<ConnStringPairs> pairs = split_connstring(connstr);
    if (!pairs) {
      error(where, name, pairs.error().message);
      return;
    }
    for (auto& [key, value] : pairs.value()) {
      if (key == "pool_mode") {
        user.pool_mode = parse_pool_mode(value);
        if (!user.pool_mode) {
          error(where, name, "pool_mode: must be one of session, transaction, statement");
          return;
        }
      } else if (key == "max_user_connections") {
        Result<int> n = count_param(key, value);
        if (!n) {
          error(where, name, n.error().message);
          return;
        }
        user.max_user_connections = n.value();
      } else {
        error(where, name, "unknown user parameter " + quote_text(key));
        return;
      }
    }
    for (UserEntry& existing : config_.users) {
      if (existing.name == name) {
        warn(where, name,
             "user defined again; replaces the one at " + location_text(existing.where));
        existing = std::move(user);
        return;
      }
    }
    config_.users.push_back(std::move(user));
  }

  const FileReader& read_file_;
  Section section_ = Section::None;  // carries across %include, as in PgBouncer
  Config config_;
  std::vector<Diagnostic> errors_, warnings_;
  std::map<std::string, Location> setting_seen_;
  std::vector<std::string> include_stack_;
};

}  // namespace

LoadResult parse_config(std::string_view text, const std::string& filename,
                        const FileReader& read_file) {
  Parser parser(read_file);
  parser.parse_file(text, filename);
  return parser.finish(filename);
}

}  // namespace pooler::config
