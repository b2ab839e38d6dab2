#include "auth/userlist.h"

#include "core/text_file.h"

namespace pooler::auth {

const std::string* Userlist::find(std::string_view user) const {
  auto it = secrets.find(user);
  return it == secrets.end() ? nullptr : &it->second;
}

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Reads one quoted field starting at line[pos] == '"'; on success pos is just past the
// closing quote. Returns an error description on failure.
Result<std::string> read_quoted(std::string_view line, size_t& pos, const char* what) {
  if (pos >= line.size() || line[pos] != '"') {
    return make_error(std::string("expected a double-quoted ") + what);
  }
  std::string out;
  for (size_t i = pos + 1; i < line.size(); ++i) {
    if (line[i] != '"') {
      out += line[i];
    } else if (i + 1 < line.size() && line[i + 1] == '"') {
      out += '"';
      ++i;
    } else {
      pos = i + 1;
      return out;
    }
  }
  return make_error(std::string("unterminated quote in ") + what);
}

}  // namespace

Result<Userlist> parse_userlist(std::string_view text, const std::string& filename) {
  Userlist list;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

    size_t pos = 0;
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    if (pos == line.size() || line[pos] == ';') continue;

    auto fail = [&](const std::string& what) {
      return make_error(filename + ":" + std::to_string(line_no) + ": " + what);
    };
    auto user = read_quoted(line, pos, "user name");
    if (!user) return fail(user.error().message);
    if (user->empty()) return fail("empty user name");
    if (pos < line.size() && !is_blank(line[pos])) {
      return fail("expected blank space after the user name");
    }
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    auto secret = read_quoted(line, pos, "password");
    if (!secret) return fail(secret.error().message + " for user \"" + *user + "\"");
    list.secrets.insert_or_assign(std::move(*user), std::move(*secret));
  }
  return list;
}

Result<Userlist> load_userlist(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (!text) return make_error(path + ": cannot read auth file: " + text.error().message);
  return parse_userlist(text.value(), path);
}

SecretKind secret_kind(std::string_view secret) {
  if (secret.size() == 35 && secret.starts_with("md5") &&
      secret.find_first_not_of("0123456789abcdefABCDEF", 3) == std::string_view::npos) {
    return SecretKind::Md5;
  }
  if (secret.starts_with("SCRAM-SHA-256$")) return SecretKind::Scram;
  return SecretKind::Plain;
}

}  // namespace pooler::auth
