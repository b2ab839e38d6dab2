#include "auth/hba.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/text_file.h"

namespace pooler::auth {

std::string_view to_string(HbaMethod method) {
  switch (method) {
    case HbaMethod::kTrust:
      return "trust";
    case HbaMethod::kReject:
      return "reject";
    case HbaMethod::kPassword:
      return "password";
    case HbaMethod::kMd5:
      return "md5";
    case HbaMethod::kScramSha256:
      return "scram-sha-256";
    case HbaMethod::kPeer:
      return "peer";
    case HbaMethod::kCert:
      return "cert";
  }
  return "?";
}

namespace {

struct Token {
  std::string text;
  bool quoted = false;
};
using Field = std::vector<Token>;  // a comma-separated list

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Splits a line into fields. A '#' outside quotes ends the line; a field is one token or
// a comma-separated list of them (blanks after a comma allowed, as in PostgreSQL).
Result<std::vector<Field>> split_fields(std::string_view line) {
  std::vector<Field> fields;
  size_t pos = 0;
  auto skip_blanks = [&] {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
  };
  for (;;) {
    skip_blanks();
    if (pos >= line.size() || line[pos] == '#') return fields;
    Field field;
    for (;;) {
      Token token;
      if (pos < line.size() && line[pos] == '"') {
        token.quoted = true;
        ++pos;
        for (;;) {
          if (pos >= line.size()) return make_error("unterminated quoted string");
          if (line[pos] == '"') {
            if (pos + 1 < line.size() && line[pos + 1] == '"') {  // "" is one quote
              token.text += '"';
              pos += 2;
              continue;
            }
            ++pos;
            break;
          }
          token.text += line[pos++];
        }
      } else {
        while (pos < line.size() && !is_blank(line[pos]) && line[pos] != ',' && line[pos] != '#' &&
               line[pos] != '"') {
          token.text += line[pos++];
        }
      }
      if (token.text.empty() && !token.quoted) return make_error("empty item in a list");
      field.push_back(std::move(token));
      if (pos < line.size() && line[pos] == ',') {
        ++pos;
        skip_blanks();
        continue;
      }
      if (pos < line.size() && !is_blank(line[pos]) && line[pos] != '#') {
        return make_error("unexpected character '" + std::string(1, line[pos]) + "'");
      }
      break;
    }
    fields.push_back(std::move(field));
  }
}

std::string single(const Field& f) {
  return f.size() == 1 ? f[0].text : std::string();
}

enum class NamesOf { kDatabases, kUsers };

// Includes allowed in one file in all: a file that names itself many times must not
// multiply without end.
constexpr int kMaxIncludes = 1000;

struct IncludeBudget {
  const HbaIncludeReader& read;
  int left = kMaxIncludes;
};

Result<void> add_names(const Field& field, NamesOf what, HbaRule::Names& out,
                       IncludeBudget& includes, int depth) {
  for (const Token& t : field) {
    if (t.quoted) {
      out.names.push_back(t.text);
      continue;
    }
    if (t.text == "all") {
      out.all = true;
    } else if (what == NamesOf::kDatabases && t.text == "sameuser") {
      out.sameuser = true;
    } else if (what == NamesOf::kDatabases && t.text == "replication") {
      out.replication = true;
    } else if (what == NamesOf::kDatabases && (t.text == "samerole" || t.text == "samegroup")) {
      return make_error("\"" + t.text + "\" is not supported");
    } else if (what == NamesOf::kUsers && t.text[0] == '+') {
      return make_error("role membership (\"" + t.text + "\") is not supported");
    } else if (t.text[0] == '@') {
      if (depth >= 10) return make_error("@ files nested too deeply: " + t.text);
      if (--includes.left < 0) return make_error("too many @ files");
      auto text = includes.read(t.text.substr(1));
      if (!text) return make_error(t.text + ": " + text.error().message);
      std::istringstream lines(text.value());
      std::string line;
      while (std::getline(lines, line)) {
        auto fields = split_fields(line);
        if (!fields) return make_error(t.text + ": " + fields.error().message);
        for (const Field& f : fields.value()) {
          if (auto r = add_names(f, what, out, includes, depth + 1); !r) return r;
        }
      }
    } else {
      out.names.push_back(t.text);
    }
  }
  return {};
}

bool names_match(const HbaRule::Names& names, std::string_view name, std::string_view user) {
  if (names.all) return true;
  if (names.sameuser && name == user) return true;
  for (const std::string& n : names.names) {
    if (n == name) return true;
  }
  return false;
}

// An IP address as text into 16 bytes; the family, or 0 if it is not one.
int parse_ip(const std::string& text, std::array<uint8_t, 16>& out) {
  out.fill(0);
  if (inet_pton(AF_INET, text.c_str(), out.data()) == 1) return AF_INET;
  if (inet_pton(AF_INET6, text.c_str(), out.data()) == 1) return AF_INET6;
  return 0;
}

Result<void> parse_address(const std::vector<Field>& fields, size_t& i, HbaRule& rule) {
  const std::string text = single(fields[i]);
  if (text.empty()) return make_error("the address must be one value");
  if (!fields[i][0].quoted && text == "all") {
    ++i;
    return {};
  }
  if (!fields[i][0].quoted && (text == "samehost" || text == "samenet")) {
    return make_error("\"" + text + "\" is not supported");
  }
  rule.any_address = false;
  const size_t slash = text.find('/');
  rule.family = parse_ip(text.substr(0, slash), rule.address);
  if (rule.family == 0) {
    return make_error("invalid IP address \"" + text + "\" (host names are not supported)");
  }
  const int bits = rule.family == AF_INET ? 32 : 128;
  if (slash != std::string::npos) {
    const std::string prefix = text.substr(slash + 1);
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(prefix.c_str(), &end, 10);
    if (prefix.empty() || *end != '\0' || errno != 0 || n < 0 || n > bits) {
      return make_error("invalid CIDR mask in address \"" + text + "\"");
    }
    rule.mask.fill(0);
    for (long b = 0; b < n; ++b) rule.mask[size_t(b / 8)] |= uint8_t(0x80 >> (b % 8));
    ++i;
    return {};
  }
  ++i;  // address, then a separate mask
  if (i >= fields.size()) return make_error("no netmask after IP address \"" + text + "\"");
  const std::string mask_text = single(fields[i]);
  if (parse_ip(mask_text, rule.mask) != rule.family) {
    return make_error("invalid IP mask \"" + mask_text + "\"");
  }
  ++i;
  return {};
}

Result<HbaMethod> parse_method(const std::string& m) {
  if (m == "trust") return HbaMethod::kTrust;
  if (m == "reject") return HbaMethod::kReject;
  if (m == "password") return HbaMethod::kPassword;
  if (m == "md5") return HbaMethod::kMd5;
  if (m == "scram-sha-256") return HbaMethod::kScramSha256;
  if (m == "peer") return HbaMethod::kPeer;
  if (m == "cert") return HbaMethod::kCert;
  if (m.empty()) return make_error("missing authentication method");
  return make_error("authentication method \"" + m + "\" is not supported");
}

Result<HbaRule> parse_record(const std::vector<Field>& fields, IncludeBudget& includes) {
  HbaRule rule;
  const std::string type = single(fields[0]);
  if (type == "local") {
    rule.type = HbaRule::Type::kLocal;
  } else if (type == "host") {
    rule.type = HbaRule::Type::kHost;
  } else if (type == "hostssl") {
    rule.type = HbaRule::Type::kHostSsl;
  } else if (type == "hostnossl") {
    rule.type = HbaRule::Type::kHostNoSsl;
  } else {
    return make_error("connection type \"" + type + "\" is not supported");
  }
  const size_t needed = rule.type == HbaRule::Type::kLocal ? 4 : 5;
  if (fields.size() < needed) return make_error("end-of-line before authentication method");
  if (auto r = add_names(fields[1], NamesOf::kDatabases, rule.databases, includes, 0); !r) {
    return r.error();
  }
  if (auto r = add_names(fields[2], NamesOf::kUsers, rule.users, includes, 0); !r) {
    return r.error();
  }
  size_t i = 3;
  if (rule.type != HbaRule::Type::kLocal) {
    if (auto r = parse_address(fields, i, rule); !r) return r.error();
    if (i >= fields.size()) return make_error("end-of-line before authentication method");
  }
  auto method = parse_method(single(fields[i]));
  if (!method) return method.error();
  rule.method = method.value();
  if (rule.method == HbaMethod::kPeer && rule.type != HbaRule::Type::kLocal) {
    return make_error("peer authentication is only supported on local sockets");
  }
  if (rule.method == HbaMethod::kCert && rule.type != HbaRule::Type::kHostSsl) {
    return make_error("cert authentication is only supported on hostssl connections");
  }
  if (++i < fields.size()) {
    return make_error("authentication option \"" + single(fields[i]) + "\" is not supported");
  }
  return rule;
}

}  // namespace

Result<HbaFile> parse_hba(std::string_view text, const std::string& filename,
                          const HbaIncludeReader& read_include) {
  HbaFile file;
  file.filename = filename;
  IncludeBudget includes{read_include};
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    auto fields = split_fields(line);
    if (fields && fields.value().empty()) continue;
    Result<HbaRule> rule =
        fields ? parse_record(fields.value(), includes) : Result<HbaRule>(fields.error());
    if (!rule) {
      return make_error(filename + ":" + std::to_string(line_no) + ": " + rule.error().message);
    }
    rule.value().line = line_no;
    file.rules.push_back(std::move(rule.value()));
  }
  return file;
}

const HbaRule* HbaFile::match(const HbaRequest& r) const {
  std::array<uint8_t, 16> client{};
  const int family = r.unix_socket ? 0 : parse_ip(std::string(r.address), client);
  for (const HbaRule& rule : rules) {
    switch (rule.type) {
      case HbaRule::Type::kLocal:
        if (!r.unix_socket) continue;
        break;
      case HbaRule::Type::kHost:
        if (r.unix_socket) continue;
        break;
      case HbaRule::Type::kHostSsl:
        if (r.unix_socket || !r.tls) continue;
        break;
      case HbaRule::Type::kHostNoSsl:
        if (r.unix_socket || r.tls) continue;
        break;
    }
    if (rule.type != HbaRule::Type::kLocal && !rule.any_address) {
      if (family != rule.family) continue;
      bool in_net = true;
      for (size_t i = 0; i < 16 && in_net; ++i) {
        in_net = (client[i] & rule.mask[i]) == (rule.address[i] & rule.mask[i]);
      }
      if (!in_net) continue;
    }
    if (!names_match(rule.databases, r.database, r.user)) continue;
    if (!names_match(rule.users, r.user, r.user)) continue;
    return &rule;
  }
  return nullptr;
}

Result<HbaFile> load_hba(const std::string& path) {
  auto read = [](const std::string& file) -> Result<std::string> {
    Result<std::string> text = read_text_file(file);
    if (!text) return make_error("cannot read " + file + ": " + text.error().message);
    return text;
  };
  auto text = read(path);
  if (!text) return make_error("auth_hba_file: " + text.error().message);
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  return parse_hba(text.value(), path, [&dir, &read](const std::string& name) {
    return read(!name.empty() && name[0] == '/' ? name : dir + name);
  });
}

}  // namespace pooler::auth
