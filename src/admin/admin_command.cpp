#include "admin/admin_command.h"

#include <cctype>
#include <vector>

namespace pooler::admin {

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// Splits on whitespace; a double-quoted word keeps its spaces and case.
Result<std::vector<std::string>> words(std::string_view sql) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < sql.size()) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (i >= sql.size()) break;
    std::string w;
    if (sql[i] == '"') {
      ++i;
      while (i < sql.size() && sql[i] != '"') w.push_back(sql[i++]);
      if (i >= sql.size()) return make_error("unterminated quoted identifier");
      ++i;
    } else {
      while (i < sql.size() && !std::isspace(static_cast<unsigned char>(sql[i]))) {
        w.push_back(sql[i++]);
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}
// SET key = value, the value bare or in single quotes ('' for a quote), as PgBouncer.
Result<AdminCommand> parse_set(std::string_view sql) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    return v;
  };
  std::string_view rest = trim(sql.substr(3));
  const size_t eq = rest.find('=');
  if (eq == std::string_view::npos) return make_error("SET needs key = value");
  AdminCommand cmd;
  cmd.verb = "SET";
  const std::string_view key = trim(rest.substr(0, eq));
  std::string_view value = trim(rest.substr(eq + 1));
  if (key.empty()) return make_error("SET needs key = value");
  for (char c : key) {
    cmd.subject.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (!value.empty() && value.front() == '\'') {
    if (value.size() < 2 || value.back() != '\'') return make_error("unterminated quoted value");
    value = value.substr(1, value.size() - 2);
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\'') {
        if (i + 1 >= value.size() || value[i + 1] != '\'') {
          return make_error("a quote inside a value is written ''");
        }
        ++i;
      }
      cmd.argument.push_back(value[i]);
    }
  } else {
    cmd.argument = std::string(value);
  }
  return cmd;
}
}  // namespace

Result<AdminCommand> parse_admin_command(std::string_view sql) {
  while (!sql.empty() &&
         (std::isspace(static_cast<unsigned char>(sql.back())) || sql.back() == ';')) {
    sql.remove_suffix(1);
  }
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front()))) {
    sql.remove_prefix(1);
  }
  // SET's value is free text (quotes, spaces, '='): it has a grammar of its own.
  if (sql.size() >= 3 && upper_ascii(sql.substr(0, 3)) == "SET" &&
      (sql.size() == 3 || std::isspace(static_cast<unsigned char>(sql[3])))) {
    return parse_set(sql);
  }
  auto w = words(sql);
  if (!w) return w.error();
  const auto& parts = w.value();
  if (parts.empty()) return make_error("empty command");
  AdminCommand cmd;
  cmd.verb = upper_ascii(parts[0]);
  size_t next = 1;
  if (cmd.verb == "SHOW") {
    if (parts.size() < 2) return make_error("SHOW needs a subject, e.g. SHOW POOLS");
    cmd.subject = upper_ascii(parts[1]);
    next = 2;
  }
  if (parts.size() > next + 1) return make_error("too many arguments to " + cmd.verb);
  if (parts.size() == next + 1) cmd.argument = parts[next];
  return cmd;
}

}  // namespace pooler::admin
