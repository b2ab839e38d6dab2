#include "takeover/connection_record.h"

#include <charconv>
#include <cstring>

#include "protocol/backend_messages.h"

namespace pooler::takeover {

const char* task_name(ConnectionRecord::Task task) {
  switch (task) {
    case ConnectionRecord::Task::kListener:
      return "pooler";
    case ConnectionRecord::Task::kClient:
      return "client";
    case ConnectionRecord::Task::kServer:
      return "server";
  }
  return "client";
}

namespace {
template <class T>
bool parse_number(const std::string& s, T* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string hex_bytea(const std::string& raw) {
  if (raw.empty()) return {};
  static const char* digits = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex_bytea(const std::string& text) {
  if (text.empty()) return std::string();
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 2; i < text.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}
}  // namespace

RowParse record_from_row(const std::vector<std::optional<std::string>>& v) {
  RowParse out;
  if (v.size() < 8) {
    out.error = "SHOW FDS row has " + std::to_string(v.size()) + " columns, expected 15";
    return out;
  }
  auto text = [&](size_t i) { return i < v.size() && v[i] ? *v[i] : std::string(); };
  ConnectionRecord r;
  if (!parse_number(text(0), &r.fd)) {
    out.error = "SHOW FDS: bad fd \"" + text(0) + "\"";
    return out;
  }
  const std::string task = text(1);
  if (task == "pooler") {
    r.task = ConnectionRecord::Task::kListener;
  } else if (task == "client") {
    r.task = ConnectionRecord::Task::kClient;
  } else if (task == "server") {
    r.task = ConnectionRecord::Task::kServer;
  } else {
    out.error = "SHOW FDS: unknown task \"" + task + "\"";
    return out;
  }
  r.user = text(2);
  r.database = text(3);
  r.addr = text(4);
  if (!text(5).empty() && !parse_number(text(5), &r.port)) {
    out.error = "SHOW FDS: bad port \"" + text(5) + "\"";
    return out;
  }
  if (!text(6).empty()) {
    // The 8 cancel-key bytes: PgBouncer prints them unsigned, int8 readers signed.
    int64_t signed_cancel = 0;
    if (parse_number(text(6), &r.cancel)) {
    } else if (parse_number(text(6), &signed_cancel)) {
      r.cancel = static_cast<uint64_t>(signed_cancel);
    } else {
      out.error = "SHOW FDS: bad cancel \"" + text(6) + "\"";
      return out;
    }
  }
  if (!text(7).empty() && !parse_number(text(7), &r.link)) {
    out.error = "SHOW FDS: bad link \"" + text(7) + "\"";
    return out;
  }
  r.client_encoding = text(8);
  r.std_strings = text(9);
  r.datestyle = text(10);
  r.timezone = text(11);
  r.password = text(12);
  auto ck = unhex_bytea(text(13));
  auto sk = unhex_bytea(text(14));
  if (!ck || !sk) {
    out.error = "SHOW FDS: bad scram key bytea";
    return out;
  }
  r.scram_client_key = *ck;
  r.scram_server_key = *sk;
  out.record = std::move(r);
  return out;
}

std::vector<std::optional<std::string>> row_from_record(const ConnectionRecord& r) {
  auto opt = [](const std::string& s) -> std::optional<std::string> {
    if (s.empty()) return std::nullopt;
    return s;
  };
  return {std::to_string(r.fd),
          std::string(task_name(r.task)),
          opt(r.user),
          opt(r.database),
          r.addr,
          std::to_string(r.port),
          std::to_string(r.cancel),  // unsigned, as PgBouncer prints it
          std::to_string(r.link),
          opt(r.client_encoding),
          opt(r.std_strings),
          opt(r.datestyle),
          opt(r.timezone),
          opt(r.password),
          r.scram_client_key.empty() ? std::nullopt : opt(hex_bytea(r.scram_client_key)),
          r.scram_server_key.empty() ? std::nullopt : opt(hex_bytea(r.scram_server_key))};
}

std::optional<std::vector<std::optional<std::string>>> parse_data_row(std::string_view body) {
  auto views = protocol::parse_data_row(body);
  if (!views) return std::nullopt;
  std::vector<std::optional<std::string>> out;
  out.reserve(views->size());
  for (const auto& v : *views) out.emplace_back(v ? std::optional<std::string>(*v) : std::nullopt);
  return out;
}

}  // namespace pooler::takeover
