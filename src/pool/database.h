#pragma once
#include <array>
#include <chrono>
#include <optional>
#include <string>

#include "config/config.h"
#include "pool/stats.h"

namespace pooler::pool {

// A database as clients name it: its [databases] entry (or one made from "*") and
// the runtime state the admin console controls.
struct Database {
  std::string name;
  config::DatabaseEntry entry;
  bool from_fallback = false;  // created on demand from the "*" entry
  bool paused = false;         // PAUSE db
  bool disabled = false;       // DISABLE db: new logins refused
  int server_count = 0;        // for max_db_connections
  Stats stats;
  Stats stats_at_period_start;  // totals when the current stats_period began
  Stats averages;               // over the last complete stats_period (SHOW STATS avg_*)
  Stats stats_handed_over;      // already sent to a takeover peer: it gets only what is new
  // Last moment it had a client or a server that was not idle (autodb_idle_timeout).
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();

  const std::string& server_dbname() const { return entry.dbname.empty() ? name : entry.dbname; }
};

// What logs a server in as a user: the secret, and the SCRAM keys learned from a client's
// exchange, which let pooler answer a server's SCRAM challenge without the password.
struct Credentials {
  std::string secret;  // plain, md5 or SCRAM secret; empty if none
  std::optional<std::array<uint8_t, 32>> scram_client_key;
  std::optional<std::array<uint8_t, 32>> scram_server_key;
};

// A user as pooler knows it: its auth_file secret and [users] overrides.
struct PoolUser {
  std::string name;
  Credentials credentials;  // from auth_file
  bool in_auth_file = false;
  std::optional<config::PoolMode> pool_mode;
  std::optional<int> max_user_connections;
  int server_count = 0;
};

}  // namespace pooler::pool
