#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pooler::takeover {

// One socket as SHOW FDS describes it, in PgBouncer's 15 columns, so pooler and PgBouncer
// can take over from each other. `fd` is the number in the OLD process: links refer to it.
struct ConnectionRecord {
  enum class Task { kListener, kClient, kServer };
  int fd = -1;  // old fd number
  Task task = Task::kClient;
  std::string user, database;
  std::string addr;  // "unix" for Unix sockets
  int port = 0;
  uint64_t cancel = 0;  // client: pooler's key; server: PostgreSQL's BackendKeyData
  int link = 0;         // old fd of the linked peer, 0 if none
  std::string client_encoding, std_strings, datestyle, timezone;
  std::string password;
  std::string scram_client_key, scram_server_key;  // raw 32 bytes, or empty

  uint32_t cancel_pid() const { return static_cast<uint32_t>(cancel >> 32); }
  uint32_t cancel_key() const { return static_cast<uint32_t>(cancel); }
  static uint64_t pack_cancel(uint32_t pid, uint32_t key) { return (uint64_t{pid} << 32) | key; }
};

const char* task_name(ConnectionRecord::Task task);

// The SHOW FDS column list, for the RowDescription and for parsing.
inline constexpr std::string_view kShowFdsColumns[] = {
    "fd",        "task",     "user",     "database",         "addr",
    "port",      "cancel",   "link",     "client_encoding",  "std_strings",
    "datestyle", "timezone", "password", "scram_client_key", "scram_server_key"};

// Text-format values of one DataRow (nullopt = NULL) -> record. Pure; errors name the column.
struct RowParse {
  std::optional<ConnectionRecord> record;
  std::string error;
};
RowParse record_from_row(const std::vector<std::optional<std::string>>& values);

// Record -> text-format values, bytea as "\x..." hex.
std::vector<std::optional<std::string>> row_from_record(const ConnectionRecord& record);

// DataRow body -> values. nullopt if malformed.
std::optional<std::vector<std::optional<std::string>>> parse_data_row(std::string_view body);

}  // namespace pooler::takeover
