#pragma once
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/intrusive_list.h"
#include "pool/client_connection.h"
#include "pool/database.h"
#include "pool/parameter_set.h"
#include "pool/server_connection.h"

namespace pooler::pool {

class Pooler;

// The servers and clients of one (database, user) pair. Clients that need a server wait
// here in FIFO order; servers come back here at each transaction boundary.
class Pool {
 public:
  Pool(Pooler& pooler, Database& db, PoolUser& server_user, PoolUser& client_user);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool();

  Database& db() const { return *db_; }
  PoolUser& user() const { return *server_user_; }  // the user servers log in as
  PoolUser& client_user() const { return *client_user_; }
  // What servers of this pool log in with: the secret auth_query found for the pool's user
  // in this database, else the server user's auth_file entry.
  Credentials& server_credentials() {
    return auth_query_credentials_ ? *auth_query_credentials_ : server_user_->credentials;
  }
  const Credentials& server_credentials() const {
    return auth_query_credentials_ ? *auth_query_credentials_ : server_user_->credentials;
  }
  bool has_auth_query_secret() const { return auth_query_credentials_.has_value(); }
  // auth_query found this secret for the pool's user (at a login, or from a takeover peer).
  // A changed secret drops SCRAM keys learned for the old one.
  void set_auth_query_secret(const std::string& secret);
  config::PoolMode mode() const;
  int pool_size() const;
  int reserve_size() const;
  int min_pool_size() const;
  int server_count() const {
    return static_cast<int>(idle_servers_.size() + active_servers_.size() + used_servers_.size() +
                            login_servers_.size());
  }

  // The parameters a server reported at login, for the welcome of new clients.
  bool has_welcome() const { return !welcome_params_.empty(); }
  const std::vector<std::pair<std::string, std::string>>& welcome_params() const {
    return welcome_params_;
  }
  const ParameterSet& server_defaults() const { return server_defaults_; }

  // A logged-in client waits for the welcome parameters (first client of a fresh pool).
  void wait_for_welcome(ClientConnection* client);
  // A client has a query: give it an idle server now or queue it.
  void request_server(ClientConnection* client);
  // A client logging in needs auth_query's answer; this is the pool of the auth_user.
  void request_auth_query(ClientConnection* client);
  // It went away before a server took its lookup.
  void cancel_auth_query(ClientConnection* client);
  // A client went away: forget it in whichever list holds it.
  void forget_client(ClientConnection* client);
  void add_active_client(ClientConnection* client);
  void client_became_idle(ClientConnection* client);

  // Server state changes reported by ServerConnection.
  void server_logged_in(ServerConnection* server);
  // Takeover: a server from the old process counts here; it is linked to its client or
  // made idle (server_idle) by the caller.
  void adopt_server(ServerConnection* server);
  void server_login_failed(ServerConnection* server, const std::string& reason,
                           const char* sqlstate);
  void server_idle(ServerConnection* server);  // finished reset/login: hand out or idle
  void server_linked(ServerConnection* server);
  void server_resetting(ServerConnection* server);
  void forget_server(ServerConnection* server);
  // Rolling takeover: an idle server sent to the new process leaves the idle list (nobody
  // here may use it); if the new process fails, it comes back.
  void set_aside(ServerConnection* server) { idle_servers_.remove(server); }
  void take_back(ServerConnection* server) { server_idle(server); }
  // Rolling takeover, in the new process: servers of this pool the old process still has.
  // They move here as they go idle, so they count against pool_size meanwhile.
  void set_servers_in_old_process(int n) { servers_in_old_process_ = n; }

  // Open servers while clients wait and limits allow; keep min_pool_size.
  void launch_servers_if_needed();
  // max_db_connections / max_user_connections reached (limits shared with other pools).
  bool blocked_by_shared_limit() const;
  bool has_waiting_clients() const {
    return !waiting_clients_.empty() || !auth_query_clients_.empty();
  }
  // Periodic: timeouts for waiting clients and idle servers.
  void maintenance(Clock::time_point now);
  void close_idle_servers(const char* reason);
  void mark_servers_close_needed();

  const IntrusiveList<ServerConnection, &ServerConnection::pool_node>& idle_servers() const {
    return idle_servers_;
  }
  const IntrusiveList<ServerConnection, &ServerConnection::pool_node>& active_servers() const {
    return active_servers_;
  }
  const IntrusiveList<ServerConnection, &ServerConnection::pool_node>& used_servers() const {
    return used_servers_;
  }
  const IntrusiveList<ServerConnection, &ServerConnection::pool_node>& login_servers() const {
    return login_servers_;
  }
  const IntrusiveList<ClientConnection, &ClientConnection::pool_node>& active_clients() const {
    return active_clients_;
  }
  const IntrusiveList<ClientConnection, &ClientConnection::pool_node>& waiting_clients() const {
    return waiting_clients_;
  }
  const IntrusiveList<ClientConnection, &ClientConnection::pool_node>& welcome_clients() const {
    return welcome_clients_;
  }
  Clock::time_point last_login_failure() const { return last_login_failure_; }
  const std::string& last_login_error() const { return last_login_error_; }

 private:
  void assign_servers();
  bool can_launch_server() const;
  bool launch_server();  // false: failed, or waiting for a name lookup

  Pooler& pooler_;
  Database* db_;
  PoolUser* server_user_;
  PoolUser* client_user_;
  IntrusiveList<ServerConnection, &ServerConnection::pool_node> idle_servers_, active_servers_,
      used_servers_, login_servers_;
  IntrusiveList<ClientConnection, &ClientConnection::pool_node> active_clients_, waiting_clients_,
      welcome_clients_;
  // Clients of other pools, still logging in, whose auth_query waits for a server here.
  // Not an intrusive list: a logging-in client's pool_node holds it in the Pooler's
  // logging-in list.
  std::deque<ClientConnection*> auth_query_clients_;
  // Ends every client waiting for auth_query here with `message`.
  void fail_auth_query_clients(const std::string& message);
  bool waits_for_auth_query(const ClientConnection* client) const;
  // A waiting client (or login) gets 08006 at once while server logins keep failing.
  void refuse_if_logins_keep_failing(ClientConnection* client);
  std::optional<Credentials> auth_query_credentials_;
  std::vector<std::pair<std::string, std::string>> welcome_params_;
  ParameterSet server_defaults_;
  int servers_in_old_process_ = 0;
  Clock::time_point last_login_failure_{};
  std::string last_login_error_;
};

}  // namespace pooler::pool
