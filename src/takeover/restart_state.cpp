#include "takeover/restart_state.h"

#include <map>

namespace pooler::takeover {

namespace {
constexpr std::string_view kHeader = "pooler-state ";
constexpr std::string_view kSeparator = "--\n";
}  // namespace

std::string encode_connection_block(const std::string& fdname, const ConnectionRecord& record,
                                    const std::map<std::string, std::string>& params) {
  std::map<std::string, std::string> values;
  values["fdname"] = fdname;
  auto row = row_from_record(record);
  for (size_t i = 0; i < row.size() && i < std::size(kShowFdsColumns); ++i) {
    if (row[i]) values[std::string(kShowFdsColumns[i])] = *row[i];
  }
  for (const auto& [k, v] : params) {
    if (k != "fdname") values["param." + k] = v;
  }
  return encode_values(values);
}

Result<ConnectionBlock> decode_connection_block(std::string_view text) {
  auto values = decode_values(text);
  if (!values) return make_error("malformed connection block");
  std::vector<std::optional<std::string>> row;
  for (auto column : kShowFdsColumns) {
    auto it = values->find(std::string(column));
    row.push_back(it == values->end() ? std::nullopt : std::optional<std::string>(it->second));
  }
  auto parsed = record_from_row(row);
  if (!parsed.record) return make_error(parsed.error);
  ConnectionBlock block;
  block.fdname = (*values)["fdname"];
  block.record = std::move(*parsed.record);
  for (const auto& [k, v] : *values) {
    if (k.rfind("param.", 0) == 0) block.params[k.substr(6)] = v;
  }
  return block;
}

std::string encode_restart_state(const RestartState& state) {
  std::string out = std::string(kHeader) + std::to_string(kStateVersion) + "\n";
  std::map<int, const ExtraState*> extra_by_fd;
  for (const auto& e : state.extra) {
    if (e.kind != ExtraState::Kind::kDatabase) extra_by_fd[e.fd] = &e;
  }
  for (const auto& [name, record] : state.connections) {
    std::map<std::string, std::string> values;
    values["fdname"] = name;
    auto row = row_from_record(record);
    for (size_t i = 0; i < row.size() && i < std::size(kShowFdsColumns); ++i) {
      if (row[i]) values[std::string(kShowFdsColumns[i])] = *row[i];
    }
    if (auto it = extra_by_fd.find(record.fd); it != extra_by_fd.end()) {
      for (const auto& [k, v] : it->second->values) values["param." + k] = v;
    }
    out += encode_values(values);
    out += kSeparator;
  }
  for (const auto& e : state.extra) {
    if (e.kind != ExtraState::Kind::kDatabase) continue;
    std::map<std::string, std::string> values = {{"stats_of", e.name}};
    for (const auto& [k, v] : e.values) values["stat." + k] = v;
    out += encode_values(values);
    out += kSeparator;
  }
  return out;
}

Result<RestartState> decode_restart_state(std::string_view text) {
  if (text.substr(0, kHeader.size()) != kHeader) {
    return make_error("state memfd: not a pooler state (no \"pooler-state\" header)");
  }
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return make_error("state memfd: truncated header");
  std::string version(text.substr(kHeader.size(), nl - kHeader.size()));
  if (version != std::to_string(kStateVersion)) {
    return make_error("state memfd: version " + version +
                      " is not understood by this pooler (it understands version " +
                      std::to_string(kStateVersion) + ")");
  }
  text.remove_prefix(nl + 1);
  RestartState state;
  int block = 0;
  while (!text.empty()) {
    ++block;
    size_t end = text.find(kSeparator);
    // A separator at the start of a line ends a block; values never contain a raw newline.
    while (end != std::string_view::npos && end > 0 && text[end - 1] != '\n') {
      end = text.find(kSeparator, end + 1);
    }
    if (end == std::string_view::npos) {
      return make_error("state memfd: block " + std::to_string(block) + " is not terminated");
    }
    auto values = decode_values(text.substr(0, end));
    text.remove_prefix(end + kSeparator.size());
    if (!values) return make_error("state memfd: block " + std::to_string(block) + " is malformed");
    if (values->count("stats_of")) {
      ExtraState e;
      e.kind = ExtraState::Kind::kDatabase;
      e.name = (*values)["stats_of"];
      for (const auto& [k, v] : *values) {
        if (k.rfind("stat.", 0) == 0) e.values[k.substr(5)] = v;
      }
      state.extra.push_back(std::move(e));
      continue;
    }
    std::vector<std::optional<std::string>> row;
    for (auto column : kShowFdsColumns) {
      auto it = values->find(std::string(column));
      row.push_back(it == values->end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    auto parsed = record_from_row(row);
    if (!parsed.record) {
      return make_error("state memfd: block " + std::to_string(block) + ": " + parsed.error);
    }
    ExtraState e;
    e.kind = parsed.record->task == ConnectionRecord::Task::kServer ? ExtraState::Kind::kServer
                                                                    : ExtraState::Kind::kClient;
    e.fd = parsed.record->fd;
    for (const auto& [k, v] : *values) {
      if (k.rfind("param.", 0) == 0) e.values[k.substr(6)] = v;
    }
    state.extra.push_back(std::move(e));
    state.connections.emplace_back((*values)["fdname"], std::move(*parsed.record));
  }
  return state;
}

}  // namespace pooler::takeover
