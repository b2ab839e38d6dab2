#include "pool/pool.h"

#include <algorithm>

#include "pool/pooler.h"
#include "protocol/sqlstate.h"

namespace pooler::pool {

namespace sqlstate = protocol::sqlstate;

namespace {
template <class D>
bool older_than(Clock::time_point then, Clock::time_point now, D limit) {
  return limit.count() > 0 && now - then > std::chrono::duration_cast<Clock::duration>(limit);
}
}  // namespace

Pool::Pool(Pooler& pooler, Database& db, PoolUser& server_user, PoolUser& client_user)
    : pooler_(pooler), db_(&db), server_user_(&server_user), client_user_(&client_user) {}

Pool::~Pool() = default;

config::PoolMode Pool::mode() const {
  if (client_user_->pool_mode) return *client_user_->pool_mode;
  if (db_->entry.pool_mode) return *db_->entry.pool_mode;
  return pooler_.settings().pool_mode;
}

int Pool::pool_size() const {
  return db_->entry.pool_size ? *db_->entry.pool_size : pooler_.settings().default_pool_size;
}

int Pool::reserve_size() const {
  return db_->entry.reserve_pool ? *db_->entry.reserve_pool : pooler_.settings().reserve_pool_size;
}

int Pool::min_pool_size() const {
  return db_->entry.min_pool_size ? *db_->entry.min_pool_size : pooler_.settings().min_pool_size;
}

void Pool::wait_for_welcome(ClientConnection* client) {
  client->state_ = ClientConnection::State::kWelcomeWait;
  client->request_time_ = Clock::now();
  welcome_clients_.push_back(client);
  // An adopted (takeover) server never showed us its login parameters: log in a new one.
  if (login_servers_.empty()) {
    if (can_launch_server()) {
      launch_server();
    } else if (!idle_servers_.empty() && !pooler_.paused() && !db_->paused) {
      // Full of adopted servers: trade one for a fresh login that shows the parameters.
      pooler_.close_server(idle_servers_.front(), "making room for a login (welcome parameters)");
      if (login_servers_.empty() && can_launch_server()) launch_server();
    } else if (server_count() == 0 && !last_login_error_.empty()) {
      client->fatal(sqlstate::kConnectionFailure,
                    "server login has been failing, try again later (server_login_retry): " +
                        last_login_error_);
    }
  }
}

void Pool::add_active_client(ClientConnection* client) {
  welcome_clients_.remove(client);
  waiting_clients_.remove(client);
  active_clients_.push_back(client);
}

void Pool::client_became_idle(ClientConnection* client) {
  if (!active_clients_.contains(client)) add_active_client(client);
}

void Pool::forget_client(ClientConnection* client) {
  active_clients_.remove(client);
  waiting_clients_.remove(client);
  welcome_clients_.remove(client);
}

void Pool::cancel_auth_query(ClientConnection* client) {
  std::erase(auth_query_clients_, client);
}

void Pool::fail_auth_query_clients(const std::string& message) {
  const std::deque<ClientConnection*> waiting = std::move(auth_query_clients_);
  auth_query_clients_.clear();
  for (ClientConnection* c : waiting) {
    if (!c->closing()) c->fatal(sqlstate::kConnectionFailure, message);
  }
}

bool Pool::waits_for_auth_query(const ClientConnection* client) const {
  return std::find(auth_query_clients_.begin(), auth_query_clients_.end(), client) !=
         auth_query_clients_.end();
}

void Pool::set_auth_query_secret(const std::string& secret) {
  if (auth_query_credentials_ && auth_query_credentials_->secret == secret) return;
  auth_query_credentials_.emplace();
  auth_query_credentials_->secret = secret;
}

void Pool::request_auth_query(ClientConnection* client) {
  client->request_time_ = Clock::now();
  auth_query_clients_.push_back(client);
  assign_servers();
  if (!waits_for_auth_query(client)) return;
  launch_servers_if_needed();
  if (waits_for_auth_query(client)) refuse_if_logins_keep_failing(client);
}

void Pool::refuse_if_logins_keep_failing(ClientConnection* client) {
  // No server, none logging in, none allowed yet: waiting would only reach the timeout.
  if (login_servers_.empty() && server_count() == 0 && !can_launch_server() &&
      !last_login_error_.empty() && !pooler_.paused() && !db_->paused) {
    client->fatal(sqlstate::kConnectionFailure,
                  "server login has been failing, try again later (server_login_retry): " +
                      last_login_error_);
  }
}

void Pool::request_server(ClientConnection* client) {
  active_clients_.remove(client);
  client->state_ = ClientConnection::State::kWaiting;
  waiting_clients_.push_back(client);
  assign_servers();
  if (client->state_ != ClientConnection::State::kWaiting) return;
  launch_servers_if_needed();
  if (client->state_ == ClientConnection::State::kWaiting) refuse_if_logins_keep_failing(client);
}

void Pool::assign_servers() {
  if (pooler_.paused() || db_->paused) return;
  const auto now = Clock::now();
  while ((!waiting_clients_.empty() || !auth_query_clients_.empty()) && !idle_servers_.empty()) {
    // LIFO by default: the warmest server, so the rest can time out. server_round_robin
    // spreads the load evenly instead.
    ServerConnection* server =
        pooler_.settings().server_round_robin ? idle_servers_.front() : idle_servers_.back();
    idle_servers_.remove(server);
    if (server->close_needed()) {
      pooler_.close_server(server, "close_needed");
      continue;
    }
    const config::Settings& s = pooler_.settings();
    if (!s.server_check_query.empty() &&
        (s.server_check_delay.count() <= 0 ||
         older_than(server->last_used(), now, s.server_check_delay))) {
      // Unused for a while: prove it is alive before a client depends on it. It comes
      // back through server_idle() when the check query is answered.
      server->run_query(s.server_check_query);
      continue;
    }
    if (!auth_query_clients_.empty()) {  // a login waits on it: the shortest job first
      ClientConnection* client = auth_query_clients_.front();
      auth_query_clients_.pop_front();
      server->run_auth_query(client);
      continue;
    }
    ClientConnection* client = waiting_clients_.pop_front();
    db_->stats.wait_time_us += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - client->request_time_).count());
    active_clients_.push_back(client);
    server->link(client);
  }
}

bool Pool::can_launch_server() const {
  const config::Settings& s = pooler_.settings();
  if (pooler_.shutting_down() || pooler_.paused() || db_->paused) {
    return false;
  }
  if (!last_login_error_.empty() &&
      older_than(last_login_failure_, Clock::now(), s.server_login_retry) == false &&
      s.server_login_retry.count() > 0) {
    return false;  // retry window after a failed login
  }
  int limit = pool_size();
  if (reserve_size() > 0 && !waiting_clients_.empty() &&
      older_than(waiting_clients_.front()->request_time_, Clock::now(), s.reserve_pool_timeout)) {
    limit += reserve_size();
  }
  if (server_count() + servers_in_old_process_ >= limit) return false;
  int max_db =
      db_->entry.max_db_connections ? *db_->entry.max_db_connections : s.max_db_connections;
  if (max_db > 0 && db_->server_count >= max_db) return false;
  int max_user = server_user_->max_user_connections ? *server_user_->max_user_connections
                                                    : s.max_user_connections;
  if (max_user > 0 && server_user_->server_count >= max_user) return false;
  return true;
}

bool Pool::launch_server() {
  std::string error;
  bool in_progress = false, resolving = false;
  ServerConnection* server = pooler_.open_server(*this, &in_progress, &resolving, &error);
  if (!server && resolving) return false;  // the resolver calls launch_servers_if_needed()
  if (!server) {
    POOLER_LOG(pooler_.log(), LogLevel::kWarning, "%s/%s: could not connect to server: %s",
               db_->name.c_str(), server_user_->name.c_str(), error.c_str());
    last_login_failure_ = Clock::now();
    last_login_error_ = error;
    std::string message = "server connection failed: " + error;
    if (login_servers_.empty() && idle_servers_.empty()) {
      welcome_clients_.for_each_safe(
          [&](ClientConnection* c) { c->fatal(sqlstate::kConnectionFailure, message); });
      if (server_count() == 0) {
        waiting_clients_.for_each_safe(
            [&](ClientConnection* c) { c->fatal(sqlstate::kConnectionFailure, message); });
        fail_auth_query_clients(message);
      }
    }
    return false;
  }
  login_servers_.push_back(server);
  db_->server_count++;
  server_user_->server_count++;
  server->start_connect(in_progress);
  return true;
}

bool Pool::blocked_by_shared_limit() const {
  const config::Settings& s = pooler_.settings();
  int max_db =
      db_->entry.max_db_connections ? *db_->entry.max_db_connections : s.max_db_connections;
  int max_user = server_user_->max_user_connections ? *server_user_->max_user_connections
                                                    : s.max_user_connections;
  return (max_db > 0 && db_->server_count >= max_db) ||
         (max_user > 0 && server_user_->server_count >= max_user);
}

void Pool::launch_servers_if_needed() {
  size_t want = waiting_clients_.size() + auth_query_clients_.size();
  if (!welcome_clients_.empty() && idle_servers_.empty()) want = std::max<size_t>(want, 1);
  while (login_servers_.size() < want && can_launch_server() && launch_server()) {
  }
  // A database or user limit shared with other pools: an idle server over there is
  // worth less than a waiting client here (PgBouncer evicts the same way).
  while (login_servers_.size() < want && blocked_by_shared_limit() &&
         server_count() < pool_size() && pooler_.evict_idle_server(*this)) {
    if (can_launch_server() && !launch_server()) break;  // failed, or waiting for a lookup
  }
  // Suspended for a takeover: the successor keeps min_pool_size; new servers here would
  // only have to move too.
  if (pooler_.suspended()) return;
  while (server_count() < min_pool_size() && can_launch_server() && launch_server()) {
  }
}

void Pool::adopt_server(ServerConnection*) {
  db_->server_count++;
  server_user_->server_count++;
}

void Pool::server_logged_in(ServerConnection* server) {
  login_servers_.remove(server);
  last_login_error_.clear();
  if (welcome_params_.empty()) {
    welcome_params_ = server->all_params();
    server_defaults_ = server->params();
  }
}

void Pool::server_login_failed(ServerConnection* server, const std::string& reason,
                               const char* code) {
  login_servers_.remove(server);
  last_login_failure_ = Clock::now();
  last_login_error_ = reason;
  if (!login_servers_.empty() || !idle_servers_.empty()) return;
  // Nobody else can serve the clients waiting here: tell them why now, not after
  // query_wait_timeout.
  std::string message = "server login failed: " + reason;
  welcome_clients_.for_each_safe([&](ClientConnection* c) { c->fatal(code, message); });
  if (server_count() == 0) {
    waiting_clients_.for_each_safe([&](ClientConnection* c) { c->fatal(code, message); });
    // The auth_user's login failed: that is pooler's setup, not the client's password.
    fail_auth_query_clients(message);
  }
}

void Pool::server_idle(ServerConnection* server) {
  active_servers_.remove(server);
  used_servers_.remove(server);
  login_servers_.remove(server);
  if (server->close_needed() || pooler_.paused() || db_->paused || pooler_.shutting_down()) {
    pooler_.close_server(server, server->close_needed()    ? "close_needed"
                                 : pooler_.shutting_down() ? "shutdown"
                                                           : "pause mode");
    pooler_.notify_server_state_changed();
    return;
  }
  // More servers than the pool may have (a smaller pool_size after a reload, or servers
  // from a takeover beside our own): with nobody waiting, this one goes.
  if (!has_waiting_clients() && server_count() >= pool_size() + reserve_size()) {
    pooler_.close_server(server, "pool is over pool_size");
    pooler_.notify_server_state_changed();
    return;
  }
  idle_servers_.push_back(server);
  if (!welcome_clients_.empty()) {
    welcome_clients_.for_each_safe([&](ClientConnection* c) { c->send_welcome(); });
  }
  assign_servers();
  if (!has_waiting_clients() && idle_servers_.contains(server)) {
    pooler_.wake_pools_waiting_on_limits(*this);
  }
  pooler_.notify_server_state_changed();
}

void Pool::server_linked(ServerConnection* server) {
  idle_servers_.remove(server);
  active_servers_.push_back(server);
}

void Pool::server_resetting(ServerConnection* server) {
  active_servers_.remove(server);
  idle_servers_.remove(server);
  login_servers_.remove(server);
  used_servers_.push_back(server);
}

void Pool::forget_server(ServerConnection* server) {
  idle_servers_.remove(server);
  active_servers_.remove(server);
  used_servers_.remove(server);
  login_servers_.remove(server);
  db_->server_count--;
  server_user_->server_count--;
}

void Pool::close_idle_servers(const char* reason) {
  idle_servers_.for_each_safe([&](ServerConnection* s) { pooler_.close_server(s, reason); });
}

void Pool::mark_servers_close_needed() {
  auto mark = [](ServerConnection* s) { s->set_close_needed(); };
  active_servers_.for_each_safe(mark);
  used_servers_.for_each_safe(mark);
  login_servers_.for_each_safe(mark);
  close_idle_servers("RECONNECT");
}

void Pool::maintenance(Clock::time_point now) {
  const config::Settings& s = pooler_.settings();
  waiting_clients_.for_each_safe([&](ClientConnection* c) {
    if (older_than(c->request_time_, now, s.query_wait_timeout)) {
      c->fatal(sqlstate::kProtocolViolation, "query_wait_timeout");
    }
  });
  welcome_clients_.for_each_safe([&](ClientConnection* c) {
    if (older_than(c->request_time_, now, s.query_wait_timeout)) {
      c->fatal(sqlstate::kConnectionFailure, "query_wait_timeout: no server connection");
    }
  });
  // Idle clients cost nothing per tick unless a timeout that concerns them is set.
  const bool client_timeouts = s.client_idle_timeout.count() > 0 || s.query_timeout.count() > 0 ||
                               s.idle_transaction_timeout.count() > 0;
  if (client_timeouts)
    active_clients_.for_each_safe([&](ClientConnection* c) {
      if (c->handed_over()) return;  // the new process owns its clock now
      ServerConnection* srv = c->server();
      if (!srv) {
        if (older_than(c->last_activity_, now, s.client_idle_timeout)) {
          c->fatal(sqlstate::kIdleSessionTimeout, "client_idle_timeout");
        }
        return;
      }
      if (srv->pending_ready_ > 0 && older_than(srv->query_start_, now, s.query_timeout)) {
        pooler_.forward_cancel(*srv);
        c->fatal(sqlstate::kQueryCanceled, "query_timeout");
        return;
      }
      if (srv->pending_ready_ == 0 && srv->tx_status_ != 'I' &&
          older_than(c->last_activity_, now, s.idle_transaction_timeout)) {
        c->fatal(sqlstate::kIdleInTransactionTimeout, "idle_transaction_timeout");
      }
    });
  size_t keep = static_cast<size_t>(std::max(0, min_pool_size()));
  idle_servers_.for_each_safe([&](ServerConnection* srv) {
    if (older_than(srv->connect_time(), now, s.server_lifetime) && idle_servers_.size() > keep) {
      pooler_.close_server(srv, "server lifetime over");
    } else if (older_than(srv->last_used(), now, s.server_idle_timeout) &&
               idle_servers_.size() > keep) {
      pooler_.close_server(srv, "server idle timeout");
    }
  });
  login_servers_.for_each_safe([&](ServerConnection* srv) {
    if (older_than(srv->connect_time(), now, s.server_connect_timeout)) {
      srv->fail("server_connect_timeout");
    }
  });
  if (!waiting_clients_.empty() || !welcome_clients_.empty()) assign_servers();
  launch_servers_if_needed();
}

}  // namespace pooler::pool
