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
}  // namespace

Result<AdminCommand> parse_admin_command(std::string_view sql) {
  while (!sql.empty() &&
         (std::isspace(static_cast<unsigned char>(sql.back())) || sql.back() == ';')) {
    sql.remove_suffix(1);
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
