#include "config/config.h"

namespace pooler::config {

std::string Diagnostic::to_string() const {
  std::string out = where.file;
  if (where.line > 0) out += ":" + std::to_string(where.line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

const DatabaseEntry* Config::find_database(std::string_view name) const {
  const DatabaseEntry* fallback = nullptr;
  for (const DatabaseEntry& db : databases) {
    if (db.name == name) return &db;
    if (db.name == "*") fallback = &db;
  }
  return fallback;
}

const UserEntry* Config::find_user(std::string_view name) const {
  for (const UserEntry& user : users) {
    if (user.name == name) return &user;
  }
  return nullptr;
}

namespace {

std::string count_of(size_t n, std::string_view singular) {
  std::string out = std::to_string(n) + " " + std::string(singular);
  if (n != 1) out += "s";
  return out;
}

std::string listen_text(const Settings& s) {
  if (s.listen_addr.empty()) return "no tcp";
  std::string out;
  for (const std::string& addr : s.listen_addr) {
    if (!out.empty()) out += ",";
    // Bracket IPv6 literals so the port stays readable.
    bool v6 = addr.find(':') != std::string::npos;
    out += (v6 ? "[" + addr + "]" : addr) + ":" + std::to_string(s.listen_port);
  }
  return "listen " + out;
}

}  // namespace

std::string summarize(const Config& config) {
  const Settings& s = config.settings;
  std::string out = config.path + ": OK: ";
  out += count_of(config.databases.size(), "database") + ", ";
  out += count_of(config.users.size(), "user override") + ", ";
  out += listen_text(s) + ", ";
  out += s.unix_socket_dir.empty() ? std::string("no unix socket") : "unix " + s.unix_socket_dir;
  out += ", auth " + std::string(to_string(s.auth_type));
  out += ", pool_mode " + std::string(to_string(s.pool_mode));
  return out;
}

}  // namespace pooler::config
