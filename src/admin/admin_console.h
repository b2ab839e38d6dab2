#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_command.h"

namespace pooler::pool {
class Pooler;
class ClientConnection;
}  // namespace pooler::pool

namespace pooler::admin {

// The "pooler" (alias "pgbouncer") database: SHOW views and control commands, with
// PgBouncer's column names so existing dashboards keep working.
class AdminConsole {
 public:
  explicit AdminConsole(pool::Pooler& pooler) : pooler_(pooler) {}

  void send_welcome(pool::ClientConnection& client);
  void handle_query(pool::ClientConnection& client, std::string_view sql);
  // PAUSE and WAIT_CLOSE answer once their condition holds; re-checked on server changes.
  void check_waiting();
  void forget_client(pool::ClientConnection* client);

 private:
  void run_command(pool::ClientConnection& client, std::string_view sql);
  struct Waiter {
    pool::ClientConnection* client;
    std::string verb;
    std::string argument;
    // SUSPEND: when what is still busy gets dropped (suspend_timeout); none if zero.
    std::chrono::steady_clock::time_point deadline{};
  };
  void show(pool::ClientConnection& client, const AdminCommand& cmd, std::string& out);
  void show_fds(pool::ClientConnection& client);
  void show_fds_state(pool::ClientConnection& client);
  void show_fds_slots(pool::ClientConnection& client);
  void suspend_rolling(pool::ClientConnection& client, const AdminCommand& cmd);
  void release_fds(pool::ClientConnection& client, const AdminCommand& cmd);
  bool condition_met(const Waiter& w) const;
  void reply_ok(pool::ClientConnection& client, std::string_view tag);
  void reply_error(pool::ClientConnection& client, std::string_view message, const char* sqlstate);

  pool::Pooler& pooler_;
  std::vector<Waiter> waiters_;
  bool checking_ = false;
  bool fds_sent_ = false;  // SHOW FDS went out: SHUTDOWN from the peer completes the takeover
};

}  // namespace pooler::admin
