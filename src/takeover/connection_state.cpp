#include "takeover/connection_state.h"

#include <charconv>

namespace pooler::takeover {

namespace {
void escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '=':
        out += "\\e";
        break;
      default:
        out.push_back(c);
    }
  }
}

std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    switch (s[i]) {
      case '\\':
        out.push_back('\\');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'e':
        out.push_back('=');
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

const char* kind_name(ExtraState::Kind k) {
  switch (k) {
    case ExtraState::Kind::kClient:
      return "client";
    case ExtraState::Kind::kServer:
      return "server";
    case ExtraState::Kind::kDatabase:
      return "database";
    case ExtraState::Kind::kProcess:
      return "process";
    case ExtraState::Kind::kPool:
      return "pool";
  }
  return "client";
}
}  // namespace

std::string encode_values(const std::map<std::string, std::string>& values) {
  std::string out;
  for (const auto& [name, value] : values) {
    escape_into(out, name);
    out.push_back('=');
    escape_into(out, value);
    out.push_back('\n');
  }
  return out;
}

std::optional<std::map<std::string, std::string>> decode_values(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;  // every line ends with \n
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto name = unescape(line.substr(0, eq));
    auto value = unescape(line.substr(eq + 1));
    if (!name || !value || name->empty()) return std::nullopt;
    out[*name] = *value;
  }
  return out;
}

Result<ExtraState> extra_state_from_row(const std::vector<std::optional<std::string>>& row) {
  if (row.size() != std::size(kFdsStateColumns)) {
    return make_error("SHOW FDS_STATE row has " + std::to_string(row.size()) +
                      " columns, expected " + std::to_string(std::size(kFdsStateColumns)));
  }
  auto text = [&](size_t i) { return row[i] ? *row[i] : std::string(); };
  ExtraState st;
  const std::string version = text(kFdsStateVersionColumn);
  auto [vp, vec] = std::from_chars(version.data(), version.data() + version.size(), st.version);
  if (vec != std::errc() || vp != version.data() + version.size()) {
    return make_error("SHOW FDS_STATE: bad version \"" + version + "\"");
  }
  if (st.version != kStateVersion) {
    return make_error("takeover state version " + std::to_string(st.version) +
                      " is not understood by this pooler (it understands version " +
                      std::to_string(kStateVersion) + "); refusing the takeover");
  }
  const std::string kind = text(1);
  if (kind == "client") {
    st.kind = ExtraState::Kind::kClient;
  } else if (kind == "server") {
    st.kind = ExtraState::Kind::kServer;
  } else if (kind == "database") {
    st.kind = ExtraState::Kind::kDatabase;
  } else if (kind == "process") {
    st.kind = ExtraState::Kind::kProcess;
  } else if (kind == "pool") {
    st.kind = ExtraState::Kind::kPool;
  } else {
    return make_error("SHOW FDS_STATE: unknown kind \"" + kind + "\"");
  }
  const std::string fd = text(0);
  auto [fp, fec] = std::from_chars(fd.data(), fd.data() + fd.size(), st.fd);
  if (fec != std::errc() || fp != fd.data() + fd.size()) {
    return make_error("SHOW FDS_STATE: bad fd \"" + fd + "\"");
  }
  st.name = text(2);
  auto values = decode_values(text(4));
  if (!values) return make_error("SHOW FDS_STATE: malformed payload for fd " + fd);
  st.values = std::move(*values);
  return st;
}

std::vector<std::optional<std::string>> row_from_extra_state(const ExtraState& st) {
  return {std::to_string(st.fd), std::string(kind_name(st.kind)), st.name,
          std::to_string(st.version), encode_values(st.values)};
}

}  // namespace pooler::takeover
