#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pooler::takeover {

// What PgBouncer's SHOW FDS columns cannot carry, sent in the pooler-only second exchange
// (SHOW FDS_STATE) keyed by the old fd: every tracked session parameter of a connection,
// and the SHOW STATS totals of each database so they continue instead of restarting at 0.
inline constexpr int kStateVersion = 1;

struct ExtraState {
  // kProcess: settings of the old process its successor must keep (the watchdog interval,
  // which systemd gives only to the process it started). kPool: during a rolling hand-over,
  // how many servers of a pool the old process still has, so the new one does not open
  // its own in their place.
  enum class Kind { kClient, kServer, kDatabase, kProcess, kPool };
  Kind kind = Kind::kClient;
  int fd = 0;        // old fd (clients, servers)
  std::string name;  // database name (kDatabase)
  int version = kStateVersion;
  std::map<std::string, std::string> values;  // parameter or counter name -> value
};

// "name=value" lines; '\\', '\n' and '=' in names/values escaped. Pure.
std::string encode_values(const std::map<std::string, std::string>& values);
std::optional<std::map<std::string, std::string>> decode_values(std::string_view text);

inline constexpr std::string_view kFdsStateColumns[] = {"fd", "kind", "name", "version", "payload"};
inline constexpr size_t kFdsStateVersionColumn = 3;

// Text values of one SHOW FDS_STATE row -> ExtraState; refuses a version it does not know.
Result<ExtraState> extra_state_from_row(const std::vector<std::optional<std::string>>& row);
std::vector<std::optional<std::string>> row_from_extra_state(const ExtraState& state);

}  // namespace pooler::takeover
