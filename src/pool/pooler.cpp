#include "pool/pooler.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "admin/admin_console.h"
#include "auth/crypto.h"
#include "core/process.h"
#include "pool/cancel_forwarder.h"
#include "pool/server_address.h"
#include "pool/tcp_options.h"
#include "protocol/sqlstate.h"
#include "takeover/restart_state.h"

namespace pooler::pool {

namespace sqlstate = protocol::sqlstate;

Pooler::Pooler(EventLoop& loop, Logger& log, config::Config config)
    : loop_(loop),
      log_(log),
      config_(std::move(config)),
      buffers_(std::max<size_t>(16384, static_cast<size_t>(config_.settings.pkt_buf))),
      resolver_(loop, config_.settings.resolv_conf,
                [this] {
                  for (auto& [key, pool] : pools_) pool->launch_servers_if_needed();
                }),
      admin_(std::make_unique<admin::AdminConsole>(*this)) {
  uint8_t seed[16];
  auth::secure_random(seed, sizeof seed);
  scram_salt_seed_.assign(reinterpret_cast<const char*>(seed), sizeof seed);
}

Pooler::~Pooler() {
  listeners_.clear();
  clients_.for_each_safe([&](ClientConnection* c) {
    clients_.remove(c);
    delete c;
  });
  servers_.for_each_safe([&](ServerConnection* s) {
    servers_.remove(s);
    delete s;
  });
  graveyard_.clear();
  cancel_forwards_.clear();
  pools_.clear();
}

Result<void> Pooler::start(std::optional<ConfigFiles> files) {
  if (!files) {
    auto loaded = ConfigFiles::load(config_.settings);
    if (!loaded) return loaded.error();
    files = std::move(loaded.value());
  }
  install(std::move(*files));
  apply_config();
  if (auto r = bind_listeners(); !r) return r;
  install_signals();
  maintenance_timer_.assign(loop_, -1, EV_PERSIST, &Pooler::timer_cb, this);
  maintenance_timer_.add(std::chrono::milliseconds(250));
  reaper_.assign(loop_, -1, 0, &Pooler::reap_cb, this);
  if (notifier_ && notifier_->watchdog_interval().count() > 0) {
    // Pinged from the event loop itself, so a wedged loop stops the pings.
    watchdog_timer_.assign(loop_, -1, EV_PERSIST, &Pooler::watchdog_cb, this);
    watchdog_timer_.add(notifier_->watchdog_interval());
    notifier_->watchdog();
  }
  rate_since_ = Clock::now();
  apply_listener_settings();
  for (auto& l : listeners_) l->enable();
  return {};
}

int Pooler::run() {
  loop_.run();
  return exit_code_;
}

void Pooler::install(ConfigFiles files) {
  userlist_ = std::move(files.userlist);
  hba_ = std::move(files.hba);
  client_tls_ = std::move(files.client_tls);
  server_tls_ = std::move(files.server_tls);
}

void Pooler::apply_new_settings(const std::string& old_logfile) {
  if (config_.settings.logfile != old_logfile && !log_.open_logfile(config_.settings.logfile)) {
    POOLER_LOG(log_, LogLevel::kWarning, "could not open logfile %s: %s; logging goes on as before",
               config_.settings.logfile.c_str(), strerror(errno));
  }
  apply_config();
  apply_listener_settings();
  for (auto& [key, pool] : pools_) pool->launch_servers_if_needed();
}

namespace {
// A client whose TLS state, or whose session server's, lives in this process.
bool tied_to_tls(const ClientConnection& c) {
  return c.tls() || (c.server() != nullptr && c.server()->tls());
}

// Nothing in flight: an idle client, or a session-mode client and its server with no
// query running (the pair would move together).
bool at_rest(const ClientConnection& c) {
  if (c.state() == ClientConnection::State::kIdle) return true;
  const ServerConnection* s = c.server();
  return c.state() == ClientConnection::State::kActive && s &&
         s->state() == ServerConnection::State::kLinked && s->at_transaction_boundary() &&
         s->quiescent();
}
}  // namespace

void Pooler::close_idle_tls_connections(const char* why) {
  clients_.for_each_safe([&](ClientConnection* c) {
    if (!tied_to_tls(*c) || c->is_admin() || c->handed_over_ || !c->quiescent()) return;
    if (at_rest(*c) || c->state() == ClientConnection::State::kStartup) {
      c->fatal(sqlstate::kAdminShutdown, why);
    }
  });
  servers_.for_each_safe([&](ServerConnection* s) {
    if (s->tls() && !s->closing() && s->state() == ServerConnection::State::kIdle) {
      close_server(s, why);
    }
  });
}

void Pooler::apply_listener_settings() {
  // Every TCP listener, bound here, inherited from systemd or taken over: the setting is
  // pooler.ini's (a socket unit's DeferAcceptSec= is overridden once pooler runs).
  for (auto& l : listeners_) {
    if (!l->is_unix()) apply_listener_tcp_settings(l->fd(), config_.settings);
  }
}

void Pooler::apply_config() {
  log_.set_verbosity(std::max(log_.verbosity(), config_.settings.verbose));
  log_.configure_syslog(config_.settings.syslog, config_.settings.syslog_ident,
                        config_.settings.syslog_facility);
  // auth_file secrets and [users] overrides onto the users we know.
  for (auto& [name, user] : users_) {
    const std::string* secret = userlist_.find(name);
    user->in_auth_file = secret != nullptr;
    user->credentials.secret = secret ? *secret : std::string();
    user->pool_mode.reset();
    user->max_user_connections.reset();
    if (const config::UserEntry* u = config_.find_user(name)) {
      user->pool_mode = u->pool_mode;
      user->max_user_connections = u->max_user_connections;
    }
  }
  for (auto& [name, db] : databases_) {
    const config::DatabaseEntry* entry = config_.find_database(name);
    if (!entry) continue;  // removed: existing connections finish, no new logins
    int port = db->entry.port;
    std::string host = db->entry.host;
    db->entry = *entry;
    if (entry->name == "*") db->entry.dbname = entry->dbname.empty() ? name : entry->dbname;
    if (db->entry.host != host || db->entry.port != port) {
      for (auto& [key, pool] : pools_) {
        if (&pool->db() == db.get()) pool->mark_servers_close_needed();
      }
    }
  }
}

Result<void> Pooler::bind_listeners() {
  const config::Settings& s = config_.settings;
  for (const auto& l : inherited_) {
    POOLER_LOG(log_, LogLevel::kDebug, "inherited listener fd %d (%s): %s", l.socket.fd(),
               l.name.c_str(), l.address.c_str());
  }
  // Listeners systemd passed in are adopted by their real address; only the rest is bound.
  auto adopt = [&](const std::string& address) -> bool {
    for (auto it = inherited_.begin(); it != inherited_.end(); ++it) {
      if (it->address != address) continue;
      POOLER_LOG(log_, LogLevel::kLog, "adopted inherited listener fd %d (%s) for %s",
                 it->socket.fd(), it->name.c_str(), address.c_str());
      listeners_.push_back(
          std::make_unique<Listener>(*this, std::move(it->socket), address, it->is_unix));
      inherited_.erase(it);
      return true;
    }
    return false;
  };
  for (const std::string& addr : s.listen_addr) {
    bool all_adopted = true;
    auto wanted = systemd::tcp_listen_addresses(addr, s.listen_port);
    for (const std::string& a : wanted) all_adopted = adopt(a) && all_adopted;
    if (!wanted.empty() && all_adopted) continue;
    if (!wanted.empty() && wanted.size() > 1) {
      bool any = false;
      for (auto& l : listeners_) {
        for (const std::string& a : wanted) any = any || l->description() == a;
      }
      if (any) continue;  // systemd gave part of "*" (say IPv4 only): use what it gave
    }
    auto r = bind_tcp_listener(addr, s.listen_port, s);
    if (!r) return make_error(r.error().message);
    POOLER_LOG(log_, LogLevel::kLog, "listening on %s", r->description.c_str());
    if (fd_store_ && fd_store_->enabled()) {
      fd_store_->store(r->socket.fd(), fd_store_->new_name("listener"));
    }
    listeners_.push_back(
        std::make_unique<Listener>(*this, std::move(r->socket), r->description, false));
  }
  if (!s.unix_socket_dir.empty() &&
      !adopt(systemd::unix_listen_address(s.unix_socket_dir, s.listen_port))) {
    auto r = bind_unix_listener(s.unix_socket_dir, s.listen_port, s.unix_socket_mode,
                                s.listen_backlog, s.unix_socket_group);
    if (!r) return make_error(r.error().message);
    POOLER_LOG(log_, LogLevel::kLog, "listening on %s", r->description.c_str());
    if (fd_store_ && fd_store_->enabled()) {
      fd_store_->store(r->socket.fd(), fd_store_->new_name("listener"));
    }
    listeners_.push_back(
        std::make_unique<Listener>(*this, std::move(r->socket), r->description, true));
  }
  if (listeners_.empty())
    return make_error("no listen_addr and no unix_socket_dir: nothing to listen on");
  return {};
}

void Pooler::install_signals() {
  signal(SIGPIPE, SIG_IGN);
  sighup_.assign(loop_, SIGHUP, EV_SIGNAL | EV_PERSIST, &Pooler::signal_cb, this);
  sigterm_.assign(loop_, SIGTERM, EV_SIGNAL | EV_PERSIST, &Pooler::signal_cb, this);
  sigint_.assign(loop_, SIGINT, EV_SIGNAL | EV_PERSIST, &Pooler::signal_cb, this);
  sigusr1_.assign(loop_, SIGUSR1, EV_SIGNAL | EV_PERSIST, &Pooler::signal_cb, this);
  sigusr2_.assign(loop_, SIGUSR2, EV_SIGNAL | EV_PERSIST, &Pooler::signal_cb, this);
  sighup_.add();
  sigterm_.add();
  sigint_.add();
  sigusr1_.add();
  sigusr2_.add();
}

void Pooler::signal_cb(evutil_socket_t sig, short, void* arg) {
  auto* self = static_cast<Pooler*>(arg);
  switch (sig) {
    case SIGHUP: {
      POOLER_LOG(self->log_, LogLevel::kLog, "got SIGHUP, re-reading config");
      (void)self->reload();
      break;
    }
    case SIGTERM:
      POOLER_LOG(self->log_, LogLevel::kLog,
                 "got SIGTERM, shutting down, waiting for transactions");
      self->begin_shutdown(false);
      break;
    case SIGINT:
      POOLER_LOG(self->log_, LogLevel::kLog, "got SIGINT, fast shutdown");
      self->begin_shutdown(true);
      break;
    case SIGUSR1:
      POOLER_LOG(self->log_, LogLevel::kLog, "got SIGUSR1, pausing all activity");
      self->pause_all(true);
      break;
    case SIGUSR2:
      POOLER_LOG(self->log_, LogLevel::kLog, "got SIGUSR2, resuming all activity");
      self->pause_all(false);
      // A rolling hand-over ends only with the new process (SHUTDOWN, or its death).
      if (!self->rolling_) self->suspend_all(false);
      break;
    default:
      break;
  }
}

Result<void> Pooler::reload() {
  if (notifier_) notifier_->reloading();
  auto result = reload_config();
  if (notifier_) notifier_->ready();
  return result;
}

Result<void> Pooler::reload_config() {
  auto loaded = config::load_config_file(config_.path);
  for (const auto& w : loaded.warnings)
    POOLER_LOG(log_, LogLevel::kWarning, "%s", w.to_string().c_str());
  if (!loaded.ok()) {
    std::string all;
    for (const auto& e : loaded.errors) {
      POOLER_LOG(log_, LogLevel::kError, "%s", e.to_string().c_str());
      all += e.to_string() + "\n";
    }
    POOLER_LOG(log_, LogLevel::kError, "config reload failed: keeping the old configuration");
    return make_error(all.empty() ? "config reload failed" : all);
  }
  config::Config next = std::move(*loaded.config);
  const config::Settings& old = config_.settings;
  if (next.settings.listen_addr != old.listen_addr ||
      next.settings.listen_port != old.listen_port ||
      next.settings.unix_socket_dir != old.unix_socket_dir) {
    POOLER_LOG(log_, LogLevel::kWarning,
               "listen_addr, listen_port and unix_socket_dir changes need a restart or takeover");
    next.settings.listen_addr = old.listen_addr;
    next.settings.listen_port = old.listen_port;
    next.settings.unix_socket_dir = old.unix_socket_dir;
  }
  auto files = ConfigFiles::load(next.settings);
  if (!files) {
    POOLER_LOG(log_, LogLevel::kError, "config reload failed: %s; keeping the old configuration",
               files.error().message.c_str());
    return files.error();
  }
  const std::string old_logfile = config_.settings.logfile;
  config_ = std::move(next);
  install(std::move(files.value()));
  apply_new_settings(old_logfile);
  LogContext ctx{"reload", {}, {}, {}, nullptr};
  POOLER_LOG_EVENT(log_, LogLevel::kLog, ctx, "configuration reloaded from %s",
                   config_.path.c_str());
  return {};
}

Result<void> Pooler::set_setting(const std::string& key, const std::string& value) {
  config::Settings next = config_.settings;
  const config::ApplyOutcome outcome = config::apply_setting(next, key, value);
  if (!outcome.known) return make_error("unknown config parameter: " + key);
  if (!outcome.error.empty()) return make_error(key + ": " + outcome.error);
  if (!outcome.reloadable) return make_error(key + " cannot be changed while pooler runs");
  if (!outcome.warning.empty()) {
    POOLER_LOG(log_, LogLevel::kWarning, "SET %s: %s", key.c_str(), outcome.warning.c_str());
  }
  // Every file again, not only the one `key` may name: the new settings hold as a whole.
  auto files = ConfigFiles::load(next);
  if (!files) return files.error();
  const std::string old_logfile = config_.settings.logfile;
  config_.settings = std::move(next);
  install(std::move(files.value()));
  apply_new_settings(old_logfile);
  // Like PgBouncer: in effect until the next RELOAD, which reads the file again.
  LogContext ctx{"set", {}, {}, {}, nullptr};
  POOLER_LOG_EVENT(log_, LogLevel::kLog, ctx, "SET %s = '%s'", key.c_str(), value.c_str());
  return {};
}

Database* Pooler::find_database(const std::string& name) {
  auto it = databases_.find(name);
  if (it != databases_.end()) {
    if (config_.find_database(name) == nullptr) return nullptr;  // removed by a reload
    return it->second.get();
  }
  const config::DatabaseEntry* entry = config_.find_database(name);
  if (!entry) return nullptr;
  auto db = std::make_unique<Database>();
  db->name = name;
  db->entry = *entry;
  if (entry->name == "*") {
    db->from_fallback = true;
    db->entry.name = name;
    if (db->entry.dbname.empty()) db->entry.dbname = name;
  }
  Database* raw = db.get();
  databases_.emplace(name, std::move(db));
  return raw;
}

Database* Pooler::existing_database(const std::string& name) {
  auto it = databases_.find(name);
  if (it != databases_.end()) return find_database(name);
  const config::DatabaseEntry* entry = config_.find_database(name);
  if (!entry || entry->name == "*") return nullptr;
  return find_database(name);
}

PoolUser* Pooler::find_user(const std::string& name) {
  if (userlist_.find(name) == nullptr) return nullptr;
  return &user_for_pool(name);
}

PoolUser& Pooler::user_for_pool(const std::string& name) {
  auto it = users_.find(name);
  if (it != users_.end()) return *it->second;
  auto user = std::make_unique<PoolUser>();
  user->name = name;
  if (const std::string* secret = userlist_.find(name)) {
    user->credentials.secret = *secret;
    user->in_auth_file = true;
  }
  if (const config::UserEntry* u = config_.find_user(name)) {
    user->pool_mode = u->pool_mode;
    user->max_user_connections = u->max_user_connections;
  }
  PoolUser& ref = *user;
  users_.emplace(name, std::move(user));
  return ref;
}

Pool& Pooler::pool_for(Database& db, const std::string& client_user) {
  const std::string& server_user_name = db.entry.user.empty() ? client_user : db.entry.user;
  return pool_with(db, server_user_name, client_user);
}

Pool& Pooler::auth_query_pool_for(Database& db, const std::string& auth_user) {
  return pool_with(db, auth_user, auth_user);
}

Pool& Pooler::pool_with(Database& db, const std::string& server_user_name,
                        const std::string& client_user) {
  auto key = std::make_pair(db.name, server_user_name);
  auto it = pools_.find(key);
  if (it != pools_.end()) return *it->second;
  PoolUser& server_user = user_for_pool(server_user_name);
  PoolUser& cuser = user_for_pool(client_user);
  auto pool = std::make_unique<Pool>(*this, db, server_user, cuser);
  Pool& ref = *pool;
  pools_.emplace(key, std::move(pool));
  return ref;
}

void Pooler::accept_client(Socket socket, bool from_unix, PeerAddress address) {
  if (shutdown_ != Shutdown::kNone) return;  // Socket closes it
  auto* client = new ClientConnection(*this, std::move(socket), from_unix, std::move(address));
  clients_.push_back(client);
  logging_in_.push_back(client);
}

ServerConnection* Pooler::open_server(Pool& pool, bool* in_progress, bool* resolving,
                                      std::string* error) {
  const config::DatabaseEntry& entry = pool.db().entry;
  HostResolver::Lookup address;
  if (!is_unix_socket_entry(entry)) {
    using std::chrono::duration_cast;
    address =
        resolver_.lookup(entry.host, duration_cast<Clock::duration>(config_.settings.dns_max_ttl),
                         duration_cast<Clock::duration>(config_.settings.dns_nxdomain_ttl));
    if (address.status == HostResolver::Lookup::Status::kPending) {
      *resolving = true;
      return nullptr;
    }
    if (address.status == HostResolver::Lookup::Status::kFailed) {
      *error = address.error;
      return nullptr;
    }
  }
  auto pc = connect_to_server(entry, config_.settings, &address.address);
  if (!pc) {
    *error = pc.error().message;
    return nullptr;
  }
  *in_progress = pc->in_progress;
  auto* server = new ServerConnection(*this, std::move(pc->socket), pool);
  servers_.push_back(server);
  return server;
}

void Pooler::close_client(ClientConnection* client, const char* reason) {
  if (client->closing_) return;
  if (client == suspender_) {
    suspender_ = nullptr;
    if (suspended_ && !exiting_for_takeover_) {
      // Closing from here on: resuming must not reach it (nor close it a second time).
      client->closing_ = true;
      admin_->forget_client(client);
      POOLER_LOG(log_, LogLevel::kWarning,
                 "takeover connection lost before SHUTDOWN (%s): resuming normal operation",
                 quiescent() ? "all connections were quiet" : busy_reason().c_str());
      auto copies = std::move(handover_copies_);
      const bool gave_some = released_any_;
      // Not when we are leaving ourselves: the new process keeps serving what it took.
      const bool take_back = copies && shutdown_ == Shutdown::kNone && !restarting_;
      // Whatever it was sent, released or not, is safe to serve again only once it can no
      // longer touch it.
      const bool peer_gone = take_back && stop_takeover_peer(copies->peer_pid(), copies->kept());
      suspend_all(false);
      if (take_back && gave_some && peer_gone) take_back_handed_over(*copies);
    }
  }
  if (client->state_ != ClientConnection::State::kStartup && config_.settings.log_disconnections) {
    auto age =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - client->connect_time());
    const std::string addr = client->address().to_string();
    LogContext ctx{"disconnect", client->db_name(), client->user_name(), addr, client};
    POOLER_LOG_EVENT(log_, LogLevel::kLog, ctx, "%s closing because: %s (age=%llds)",
                     client->label().c_str(), reason, static_cast<long long>(age.count()));
  }
  client->closing_ = true;
  ServerConnection* server = client->server_;
  if (server) {
    client->server_ = nullptr;
    server->client_ = nullptr;
    Pool& pool = server->pool();
    const bool clean = server->state() == ServerConnection::State::kLinked &&
                       server->at_transaction_boundary() && client->stream_remaining_ == 0 &&
                       client->ready_ == 0;
    if (clean && server->close_needed()) {
      close_server(server, "close_needed");  // no reset for a server that goes anyway
    } else if (clean) {
      bool reset =
          pool.mode() == config::PoolMode::Session || config_.settings.server_reset_query_always;
      server->unlink_and_reset(reset);
    } else {
      close_server(server, "client disconnected while server was not idle");
    }
  }
  unregister(client);
  if (fd_store_ && !client->store_name_.empty()) fd_store_->remove(client->store_name_);
  release_slot(*client);
  client->read_event_.reset();
  client->write_event_.reset();
  client->socket_.shutdown_and_close();
  clients_.remove(client);
  graveyard_.emplace_back(client);
  reaper_.add(std::chrono::microseconds(1));
  if (shutdown_ != Shutdown::kNone) check_shutdown_done();
}

void Pooler::close_server(ServerConnection* server, const char* reason) {
  if (server->closing_) return;
  const bool expected = server->state_ == ServerConnection::State::kIdle || shutting_down();
  const std::string addr = server->address().to_string();
  LogContext ctx{expected ? "server_disconnect" : "server_lost", server->pool().db().name,
                 server->pool().user().name, addr, server};
  POOLER_LOG_EVENT(log_, expected ? LogLevel::kLog : LogLevel::kWarning, ctx,
                   "S-%p: %s/%s@%s closing because: %s", static_cast<void*>(server),
                   server->pool().db().name.c_str(), server->pool().user().name.c_str(),
                   server->address().to_string().c_str(), reason);
  server->closing_ = true;
  server->state_ = ServerConnection::State::kClosing;
  if (ClientConnection* client = server->client_) {
    server->client_ = nullptr;
    client->server_ = nullptr;
    client->fatal(sqlstate::kConnectionFailure, std::string("server connection lost: ") + reason);
  }
  server->pool().forget_server(server);
  if (fd_store_ && !server->store_name_.empty()) fd_store_->remove(server->store_name_);
  release_slot(*server);
  server->read_event_.reset();
  server->write_event_.reset();
  if (!server->logging_in() || server->state_ == ServerConnection::State::kLogin) {
    // A polite Terminate lets PostgreSQL log a clean disconnect; best effort only, and
    // through TLS when the connection has it.
    static const char kTerminate[] = {'X', 0, 0, 0, 4};
    std::string_view bye(kTerminate, sizeof kTerminate);
    (void)server->send_some(bye);
  }
  server->socket_.shutdown_and_close();
  servers_.remove(server);
  server->pool().launch_servers_if_needed();  // clients may be waiting for a replacement
  graveyard_.emplace_back(server);
  reaper_.add(std::chrono::microseconds(1));
  notify_server_state_changed();
  if (shutdown_ != Shutdown::kNone) check_shutdown_done();
}

void Pooler::forward_cancel(const ServerConnection& server) {
  if (server.backend_pid() == 0) return;
  const config::DatabaseEntry& entry = server.pool().db().entry;
  // The address the server was opened to, even if its cache entry has expired since.
  const HostResolver::Lookup address = resolver_.last_known(entry.host);
  auto pc = connect_to_server(entry, config_.settings, address.length ? &address.address : nullptr);
  if (!pc) {
    POOLER_LOG(log_, LogLevel::kWarning, "cancel request: %s", pc.error().message.c_str());
    return;
  }
  cancel_forwards_.push_back(std::make_unique<CancelForwarder>(
      *this, std::move(pc->socket), server.backend_pid(), server.backend_key(), pc->in_progress));
}

void Pooler::finish_cancel_forward(CancelForwarder* forwarder) {
  for (auto it = cancel_forwards_.begin(); it != cancel_forwards_.end(); ++it) {
    if (it->get() == forwarder) {
      graveyard_.push_back(std::move(*it));
      cancel_forwards_.erase(it);
      reaper_.add(std::chrono::microseconds(1));
      return;
    }
  }
}

void Pooler::watchdog_cb(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Pooler*>(arg);
  if (self->notifier_) self->notifier_->watchdog();
}

std::string Pooler::status_line() const {
  size_t active = 0, waiting = 0;
  for (const auto& [key, pool] : pools_) {
    for (ClientConnection* c : pool->active_clients()) active += c->server() != nullptr;
    waiting += pool->waiting_clients().size() + pool->welcome_clients().size();
  }
  std::string line = std::to_string(pools_.size()) + " pools, " + std::to_string(client_count_) +
                     " clients (" + std::to_string(active) + " active, " + std::to_string(waiting) +
                     " waiting), " + std::to_string(servers_.size()) + " servers, " +
                     std::to_string(tx_per_second_) + " tx/s";
  if (paused_) line += ", paused";
  if (suspended_) line += ", suspended";
  if (shutdown_ != Shutdown::kNone) line += ", shutting down";
  if (fd_store_ && fd_store_->refused() > 0) {
    line += ", " + std::to_string(fd_store_->refused()) + " not in the fd store (full)";
  }
  if (restored_ || dropped_) {
    line += ", restored " + std::to_string(restored_) + " from the fd store (" +
            std::to_string(dropped_) + " dropped)";
  }
  return line;
}

void Pooler::update_status() {
  const auto now = Clock::now();
  const auto elapsed = now - rate_since_;
  if (elapsed >= std::chrono::seconds(1)) {
    uint64_t xacts = total_stats().xact_count;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    // A dropped database takes its counts along: the total can shrink.
    tx_per_second_ = ms > 0 && xacts >= rate_xacts_
                         ? (xacts - rate_xacts_) * 1000 / static_cast<uint64_t>(ms)
                         : 0;
    rate_xacts_ = xacts;
    rate_since_ = now;
  }
  if (notifier_) notifier_->status(status_line());
}

void Pooler::reap_cb(evutil_socket_t, short, void* arg) {
  static_cast<Pooler*>(arg)->reap();
}

void Pooler::reap() {
  graveyard_.clear();
}

void Pooler::timer_cb(evutil_socket_t, short, void* arg) {
  static_cast<Pooler*>(arg)->maintenance();
}

void Pooler::maintenance() {
  const auto now = Clock::now();
  const config::Settings& s = config_.settings;
  if (s.client_login_timeout.count() > 0) {
    const auto limit = std::chrono::duration_cast<Clock::duration>(s.client_login_timeout);
    logging_in_.for_each_safe([&](ClientConnection* c) {
      if (now - c->connect_time() > limit) {
        c->fatal(sqlstate::kProtocolViolation, "client_login_timeout");
      }
    });
  }
  for (auto& [key, pool] : pools_) pool->maintenance(now);
  if (s.autodb_idle_timeout.count() > 0) drop_unused_autodbs(now);
  if (s.stats_period > 0 && now - stats_period_start_ >= std::chrono::seconds(s.stats_period)) {
    end_stats_period(now);
  }
  admin_->check_waiting();
  check_takeover_peer(now);
  check_restart_ready();
  update_status();
  if ((shutdown_ == Shutdown::kGraceful || restarting_) && notifier_) {
    notifier_->extend_timeout(std::chrono::seconds(5));  // transactions are still finishing
  }
}

void Pooler::drop_unused_autodbs(Clock::time_point now) {
  // In use: a client (one waiting for auth_query included), or a server doing something
  // (an idle one is only kept warm).
  for (auto& [key, pool] : pools_) {
    if (!pool->active_clients().empty() || pool->has_waiting_clients() ||
        !pool->welcome_clients().empty() ||
        pool->server_count() > static_cast<int>(pool->idle_servers().size())) {
      pool->db().last_used = now;
    }
  }
  const auto timeout =
      std::chrono::duration_cast<Clock::duration>(config_.settings.autodb_idle_timeout);
  for (auto it = databases_.begin(); it != databases_.end();) {
    Database& db = *it->second;
    if (!db.from_fallback || now - db.last_used < timeout) {
      ++it;
      continue;
    }
    // Only idle servers can be left (a busy one would have a client): close them now, and
    // drop the pools on a later pass, once the reaper has freed those servers.
    std::vector<ServerConnection*> idle;
    bool any_server = false;
    for (auto& [key, pool] : pools_) {
      if (&pool->db() != &db) continue;
      any_server = any_server || pool->server_count() > 0;
      for (ServerConnection* server : pool->idle_servers()) idle.push_back(server);
    }
    for (ServerConnection* server : idle) close_server(server, "autodb_idle_timeout");
    if (any_server) {
      ++it;
      continue;
    }
    for (auto p = pools_.begin(); p != pools_.end();) {
      p = &p->second->db() == &db ? pools_.erase(p) : std::next(p);
    }
    LogContext ctx{"autodb_drop", db.name, {}, {}, nullptr};
    POOLER_LOG_EVENT(log_, LogLevel::kLog, ctx,
                     "database %s (from \"*\") unused for autodb_idle_timeout: dropped",
                     db.name.c_str());
    it = databases_.erase(it);
  }
}

void Pooler::end_stats_period(Clock::time_point now) {
  const auto period =
      std::chrono::duration_cast<std::chrono::microseconds>(now - stats_period_start_);
  stats_period_start_ = now;
  for (auto& [name, db] : databases_) {
    db->averages = averages_over(db->stats, db->stats_at_period_start, period);
    db->stats_at_period_start = db->stats;
    const Stats& a = db->averages;
    if (!config_.settings.log_stats || (a.xact_count == 0 && a.query_count == 0)) continue;
    LogContext ctx{"stats", name, "", "", nullptr};
    POOLER_LOG_EVENT(log_, LogLevel::kLog, ctx,
                     "stats: %s: %llu xacts/s, %llu queries/s, in %llu B/s, out %llu B/s, "
                     "xact %llu us, query %llu us, wait %llu us",
                     name.c_str(), static_cast<unsigned long long>(a.xact_count),
                     static_cast<unsigned long long>(a.query_count),
                     static_cast<unsigned long long>(a.bytes_received),
                     static_cast<unsigned long long>(a.bytes_sent),
                     static_cast<unsigned long long>(a.xact_time_us),
                     static_cast<unsigned long long>(a.query_time_us),
                     static_cast<unsigned long long>(a.wait_time_us));
  }
}

void Pooler::notify_server_state_changed() {
  if (admin_) admin_->check_waiting();
  if (restarting_) check_restart_ready();
}

bool Pooler::evict_idle_server(Pool& pool) {
  for (auto& [key, other] : pools_) {
    if (other.get() == &pool || other->idle_servers().empty()) continue;
    if (&other->db() != &pool.db() && &other->user() != &pool.user()) continue;
    close_server(other->idle_servers().front(), "evicted for a client waiting in another pool");
    return true;
  }
  return false;
}

void Pooler::wake_pools_waiting_on_limits(Pool& pool) {
  for (auto& [key, other] : pools_) {
    if (other.get() == &pool || !other->has_waiting_clients()) continue;
    if (&other->db() != &pool.db() && &other->user() != &pool.user()) continue;
    if (other->blocked_by_shared_limit()) {
      other->launch_servers_if_needed();
      return;
    }
  }
}

bool Pooler::has_active_servers() const {
  for (const auto& [key, pool] : pools_) {
    if (!pool->active_servers().empty() || !pool->used_servers().empty()) return true;
  }
  return false;
}

void Pooler::pause_all(bool pause) {
  paused_ = pause;
  if (pause) {
    for (auto& [key, pool] : pools_) pool->close_idle_servers("pause mode");
  } else {
    for (auto& [key, pool] : pools_) {
      pool->maintenance(Clock::now());
    }
  }
}

void Pooler::suspend_all(bool suspend, ClientConnection* by) {
  suspended_ = suspend;
  suspender_ = suspend ? by : nullptr;
  if (suspend) {
    takeover_peer_heard_ = Clock::now();
  } else {
    released_any_ = false;
  }
  if (!suspend && rolling_) {
    // The new process is gone before adopting them: what was frozen is ours again.
    handover_copies_.reset();
    rolling_ = false;
    rolling_parking_ = false;
    listeners_handed_ = false;
    clients_.for_each_safe([&](ClientConnection* c) { c->handed_over_ = false; });
    servers_.for_each_safe([&](ServerConnection* s) {
      if (!s->handed_over_) return;
      s->handed_over_ = false;
      s->start_reading();
      if (s->state() == ServerConnection::State::kIdle) s->pool().take_back(s);
    });
    for (auto& [name, db] : databases_) db->stats_handed_over = Stats{};
  }
  for (auto& l : listeners_) {
    if (suspend) {
      l->disable();
    } else if (shutdown_ == Shutdown::kNone) {
      l->enable();
    }
  }
  clients_.for_each_safe([&](ClientConnection* c) {
    if (suspend) {
      if (!c->reading_allowed()) c->stop_reading();
    } else {
      c->start_reading();
    }
  });
  if (!suspend) {
    clients_.for_each_safe([&](ClientConnection* c) { c->process_input(); });
    for (auto& [key, pool] : pools_) pool->maintenance(Clock::now());
  }
  notify_server_state_changed();
}

bool Pooler::quiescent() const {
  return busy_reason().empty();
}

void Pooler::drop_busy_connections(const char* why) {
  POOLER_LOG(log_, LogLevel::kWarning, "%s (%s)", why, busy_reason().c_str());
  clients_.for_each_safe([&](ClientConnection* c) {
    if (c->is_admin() || c->closing() || (at_rest(*c) && c->quiescent())) return;
    c->fatal(sqlstate::kAdminShutdown, why);  // a server mid-transaction goes with it
  });
  servers_.for_each_safe([&](ServerConnection* s) {
    const bool resting = (s->state() == ServerConnection::State::kIdle ||
                          s->state() == ServerConnection::State::kLinked) &&
                         s->quiescent();
    if (!s->closing() && !resting) close_server(s, why);
  });
}

std::string Pooler::busy_reason() const {
  for (ClientConnection* c : clients_) {
    if (c->is_admin()) continue;
    switch (c->state()) {
      case ClientConnection::State::kIdle:
        if (!c->quiescent()) return c->label() + " has buffered bytes";
        break;
      case ClientConnection::State::kActive:
        // Session mode: the pair moves together when no query is running.
        if (!c->quiescent()) return c->label() + " has buffered bytes";
        if (!c->server() || c->server()->state() != ServerConnection::State::kLinked ||
            !c->server()->at_transaction_boundary()) {
          return c->label() + " is in a transaction";
        }
        break;
      default:
        return c->label() + " is " + c->state_name();
    }
  }
  for (ServerConnection* s : servers_) {
    if (s->state() != ServerConnection::State::kIdle &&
        s->state() != ServerConnection::State::kLinked) {
      return std::string("a server is ") + s->state_name();
    }
    if (!s->quiescent()) {
      return "a server has buffered bytes";
    }
  }
  return {};
}

namespace {
// A logged-in, non-admin client: what a takeover or a restart carries over. Not one tied
// to TLS: session keys and record sequence numbers live in our OpenSSL objects, not in
// the socket.
bool carried_over(const ClientConnection& c) {
  return !c.is_admin() && !c.closing() && c.pool() != nullptr && !tied_to_tls(c);
}

takeover::ConnectionRecord params_into(takeover::ConnectionRecord r, const ParameterSet& p) {
  r.client_encoding = p.get(TrackedParam::kClientEncoding);
  r.std_strings = p.get(TrackedParam::kStandardConformingStrings);
  r.datestyle = p.get(TrackedParam::kDateStyle);
  r.timezone = p.get(TrackedParam::kTimeZone);
  return r;
}

std::map<std::string, std::string> tracked_values(const ParameterSet& params) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < kTrackedParamCount; ++i) {
    auto p = static_cast<TrackedParam>(i);
    if (params.has(p)) out[std::string(tracked_param_name(p))] = params.get(p);
  }
  return out;
}

takeover::ConnectionRecord client_record(const ClientConnection& c) {
  takeover::ConnectionRecord r;
  r.fd = c.fd();
  r.task = takeover::ConnectionRecord::Task::kClient;
  r.user = c.user_name();
  r.database = c.db_name();
  r.addr = c.from_unix_socket() ? "unix" : c.address().host;
  r.port = c.address().port;
  r.cancel = takeover::ConnectionRecord::pack_cancel(c.cancel_key().pid, c.cancel_key().secret);
  r.link = c.server() ? c.server()->fd() : 0;
  return params_into(std::move(r), c.params());
}

takeover::ConnectionRecord server_record(const ServerConnection& s) {
  takeover::ConnectionRecord r;
  r.fd = s.fd();
  r.task = takeover::ConnectionRecord::Task::kServer;
  r.user = s.pool().user().name;
  r.database = s.pool().db().name;
  r.addr = s.address().host;
  r.port = s.address().port;
  r.cancel = takeover::ConnectionRecord::pack_cancel(s.backend_pid(), s.backend_key());
  r.link = s.client() ? s.client()->fd() : 0;
  return params_into(std::move(r), s.params());
}

// What a successor needs to log this server's user in again: the SCRAM pass-through keys.
takeover::ConnectionRecord server_record_with_keys(const ServerConnection& s) {
  takeover::ConnectionRecord r = server_record(s);
  const Credentials& u = s.pool().server_credentials();
  if (u.scram_client_key && u.scram_server_key) {
    r.scram_client_key.assign(reinterpret_cast<const char*>(u.scram_client_key->data()), 32);
    r.scram_server_key.assign(reinterpret_cast<const char*>(u.scram_server_key->data()), 32);
  }
  return r;
}
}  // namespace

std::vector<takeover::ConnectionRecord> Pooler::listener_records() const {
  using takeover::ConnectionRecord;
  std::vector<ConnectionRecord> out;
  for (const auto& l : listeners_) {
    ConnectionRecord r;
    r.fd = l->fd();
    r.task = ConnectionRecord::Task::kListener;
    PeerAddress a = local_address_of(l->fd());
    r.addr = l->is_unix() ? "unix" : a.host;
    r.port = l->is_unix() ? config_.settings.listen_port : a.port;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<takeover::ConnectionRecord> Pooler::takeover_records() const {
  std::vector<takeover::ConnectionRecord> out = listener_records();
  for (ClientConnection* c : clients_) {
    if (!carried_over(*c)) continue;
    out.push_back(client_record(*c));
  }
  for (ServerConnection* s : servers_) {
    if (!s->closing() && !s->tls()) out.push_back(server_record_with_keys(*s));
  }
  return out;
}

namespace {
constexpr const char* kAuthQuerySecret = "auth_query_secret";

void apply_tracked_values(ParameterSet& params, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    if (name != kAuthQuerySecret) params.set(name, value);
  }
}

// A user found by auth_query: its successor needs the secret to open servers for the
// connections it adopts (the peer has our uid; SCRAM keys travel the same way).
void add_auth_query_secret(const Pool* pool, std::map<std::string, std::string>& values) {
  if (pool && pool->has_auth_query_secret()) {
    values[kAuthQuerySecret] = pool->server_credentials().secret;
  }
}

void adopt_auth_query_secret(Pool& pool, const std::map<std::string, std::string>& values) {
  if (auto it = values.find(kAuthQuerySecret); it != values.end()) {
    pool.set_auth_query_secret(it->second);
  }
}

std::map<std::string, std::string> stats_values(const Stats& st) {
  return {{"xact_count", std::to_string(st.xact_count)},
          {"query_count", std::to_string(st.query_count)},
          {"bytes_received", std::to_string(st.bytes_received)},
          {"bytes_sent", std::to_string(st.bytes_sent)},
          {"xact_time_us", std::to_string(st.xact_time_us)},
          {"query_time_us", std::to_string(st.query_time_us)},
          {"wait_time_us", std::to_string(st.wait_time_us)}};
}

// Adds: the counts come from the old process, ours continue on top of them.
void apply_stats_values(Stats& st, const std::map<std::string, std::string>& values) {
  auto get = [&](const char* name, uint64_t& field) {
    auto it = values.find(name);
    if (it != values.end()) field += std::strtoull(it->second.c_str(), nullptr, 10);
  };
  get("xact_count", st.xact_count);
  get("query_count", st.query_count);
  get("bytes_received", st.bytes_received);
  get("bytes_sent", st.bytes_sent);
  get("xact_time_us", st.xact_time_us);
  get("query_time_us", st.query_time_us);
  get("wait_time_us", st.wait_time_us);
}
}  // namespace

void Pooler::adopt_store_name(Connection& conn, const std::map<std::string, std::string>& values) {
  auto it = values.find("fdname");
  if (it == values.end() || it->second.empty()) return;
  conn.set_store_name(it->second);  // already in systemd's store: remove it when we close
  if (fd_store_) fd_store_->count_existing(1);
}

std::vector<takeover::ExtraState> Pooler::takeover_extra_state() {
  using takeover::ExtraState;
  std::vector<ExtraState> out;
  for (ClientConnection* c : clients_) {
    if (!carried_over(*c)) continue;
    if (rolling_ && !c->handed_over_) continue;
    ExtraState st;
    st.kind = ExtraState::Kind::kClient;
    st.fd = c->fd();
    st.values = tracked_values(c->params());
    add_auth_query_secret(c->pool(), st.values);
    if (const ClientStatements* statements = c->statements_if_any()) {
      statements_to_values(*statements, st.values);
    }
    if (!c->store_name().empty()) st.values["fdname"] = c->store_name();
    out.push_back(std::move(st));
  }
  for (ServerConnection* s : servers_) {
    if (s->closing() || (rolling_ && !s->handed_over_)) continue;
    ExtraState st;
    st.kind = ExtraState::Kind::kServer;
    st.fd = s->fd();
    st.values = tracked_values(s->params());
    add_auth_query_secret(&s->pool(), st.values);
    if (!s->store_name().empty()) st.values["fdname"] = s->store_name();
    out.push_back(std::move(st));
  }
  if (rolling_) {
    std::map<const Pool*, int> left;  // servers that stay here after this batch
    for (ServerConnection* s : servers_) {
      if (!s->handed_over_ && !s->closing()) ++left[&s->pool()];
    }
    for (const auto& [key, pool] : pools_) {
      ExtraState st;
      st.kind = ExtraState::Kind::kPool;
      st.name = key.first;
      st.values = {{"user", key.second}, {"servers", std::to_string(left[pool.get()])}};
      out.push_back(std::move(st));
    }
  }
  if (notifier_ && notifier_->watchdog_usec().count() > 0) {
    ExtraState st;
    st.kind = ExtraState::Kind::kProcess;
    st.values["watchdog_usec"] = std::to_string(notifier_->watchdog_usec().count());
    out.push_back(std::move(st));
  }
  for (const auto& [name, db] : databases_) {
    ExtraState st;
    st.kind = ExtraState::Kind::kDatabase;
    st.name = name;
    // Only what the peer has not had yet: a rolling hand-over sends stats with each batch.
    st.values = stats_values(db->stats - db->stats_handed_over);
    db->stats_handed_over = db->stats;
    out.push_back(std::move(st));
  }
  return out;
}

Result<void> Pooler::adopt(std::vector<takeover::ConnectionRecord> records,
                           std::vector<Socket> sockets,
                           const std::vector<takeover::ExtraState>& extra,
                           bool from_takeover_peer) {
  // Slots in the old process's region, so it can take these back if we die before SHUTDOWN.
  const bool old_can_take_back = from_takeover_peer && handover_slots_ != nullptr;
  std::map<int, const takeover::ExtraState*> extra_by_fd_client, extra_by_fd_server;
  for (const auto& st : extra) {
    if (st.kind == takeover::ExtraState::Kind::kClient) extra_by_fd_client[st.fd] = &st;
    if (st.kind == takeover::ExtraState::Kind::kServer) extra_by_fd_server[st.fd] = &st;
    if (st.kind == takeover::ExtraState::Kind::kDatabase) {
      if (Database* db = find_database(st.name)) {
        apply_stats_values(db->stats, st.values);
        // Totals from before us are not this period's work.
        apply_stats_values(db->stats_at_period_start, st.values);
      }
    }
    if (st.kind == takeover::ExtraState::Kind::kPool) {
      auto user = st.values.find("user");
      auto servers = st.values.find("servers");
      Database* db = find_database(st.name);
      if (db && user != st.values.end() && servers != st.values.end()) {
        pool_for(*db, user->second).set_servers_in_old_process(std::atoi(servers->second.c_str()));
      }
    }
  }
  using takeover::ConnectionRecord;
  std::map<int, ServerConnection*> servers_by_old_fd;
  std::map<int, ClientConnection*> clients_by_old_fd;
  size_t dropped = 0;
  // Its database is gone from the new config: shut down (another process may hold a copy
  // too), and out of systemd's fd store, where a process before us left it (we never
  // counted it).
  auto drop = [&](Socket& socket, const std::map<int, const takeover::ExtraState*>& extras,
                  int fd) {
    ++dropped;
    if (auto it = extras.find(fd); fd_store_ && it != extras.end()) {
      if (auto name = it->second->values.find("fdname"); name != it->second->values.end()) {
        fd_store_->remove_uncounted(name->second);
      }
    }
    socket.shutdown_and_close();
  };
  for (size_t i = 0; i < records.size(); ++i) {
    ConnectionRecord& r = records[i];
    if (r.task != ConnectionRecord::Task::kServer) continue;
    Database* db = find_database(r.database);
    if (!db) {
      drop(sockets[i], extra_by_fd_server, r.fd);
      continue;
    }
    Pool& pool = pool_for(*db, r.user);
    auto* server = new ServerConnection(*this, std::move(sockets[i]), pool);
    servers_.push_back(server);
    server->adopt(r);
    if (old_can_take_back) server->set_handover(r.fd, 0);
    if (auto it = extra_by_fd_server.find(r.fd); it != extra_by_fd_server.end()) {
      apply_tracked_values(server->params_, it->second->values);
      adopt_auth_query_secret(pool, it->second->values);
      adopt_store_name(*server, it->second->values);
    }
    pool.adopt_server(server);
    if (r.scram_client_key.size() == 32 && r.scram_server_key.size() == 32) {
      Credentials& u = pool.server_credentials();
      u.scram_client_key.emplace();
      u.scram_server_key.emplace();
      memcpy(u.scram_client_key->data(), r.scram_client_key.data(), 32);
      memcpy(u.scram_server_key->data(), r.scram_server_key.data(), 32);
    }
    servers_by_old_fd[r.fd] = server;
  }
  for (size_t i = 0; i < records.size(); ++i) {
    ConnectionRecord& r = records[i];
    if (r.task != ConnectionRecord::Task::kClient) continue;
    Database* db = find_database(r.database);
    if (!db) {
      drop(sockets[i], extra_by_fd_client, r.fd);
      continue;
    }
    Pool& pool = pool_for(*db, r.user);
    PeerAddress address = peer_address_of(sockets[i].fd());
    auto* client =
        new ClientConnection(*this, std::move(sockets[i]), r.addr == "unix", std::move(address));
    clients_.push_back(client);
    client->adopt(r, pool);
    if (old_can_take_back) client->set_handover(r.fd, 0);
    if (auto it = extra_by_fd_client.find(r.fd); it != extra_by_fd_client.end()) {
      apply_tracked_values(client->params(), it->second->values);
      adopt_auth_query_secret(pool, it->second->values);
      adopt_store_name(*client, it->second->values);
      if (has_statement_values(it->second->values) &&
          !statements_from_values(it->second->values, statement_registry_, client->statements())) {
        POOLER_LOG(log_, LogLevel::kWarning, "%s takeover: a prepared statement was malformed",
                   client->label().c_str());
      }
    }
    clients_by_old_fd[r.fd] = client;
    auto linked = servers_by_old_fd.find(r.link);
    if (r.link != 0 && linked != servers_by_old_fd.end()) {
      // Session pooling: the server moves with its client, temp tables and all.
      linked->second->adopt_link(client);
    }
  }
  for (auto& [fd, s] : servers_by_old_fd) slot_write(*s);
  // Waiting clients get an idle one at once; one the pool has no room for is closed. Not
  // before the old process let go of it: until RELEASE FDS it may still take it back.
  for (auto& [fd, s] : servers_by_old_fd) {
    if (s->state() == ServerConnection::State::kLinked) continue;
    if (from_takeover_peer) {
      adopted_before_release_.push_back(s);
    } else {
      s->pool().server_idle(s);
    }
  }
  for (auto& [fd, c] : clients_by_old_fd) slot_write(*c);
  POOLER_LOG(log_, LogLevel::kLog, "takeover: adopted %zu clients and %zu servers (%zu dropped)",
             clients_by_old_fd.size(), servers_by_old_fd.size(), dropped);
  return {};
}

void Pooler::exit_for_takeover() {
  exiting_for_takeover_ = true;
  handover_copies_.reset();  // plain close(): the new process owns those connections
  POOLER_LOG(log_, LogLevel::kLog, "takeover: handing over, closing our copies of all sockets");
  // Plain close(): no Terminate, no shutdown(), no error to clients. The sockets live on
  // in the new process. TLS clients did not go (PgBouncer's SUSPEND flow holds them idle).
  close_idle_tls_connections(
      "pooler is handing over to a new process; a TLS connection cannot move: reconnect");
  clients_.for_each_safe([&](ClientConnection* c) { let_go(c); });
  servers_.for_each_safe([&](ServerConnection* s) { let_go(s); });
  listeners_.clear();
  loop_.break_loop();
}

void Pooler::unregister(ClientConnection* c) {
  logging_in_.remove(c);
  c->abandon_auth_query();
  if (c->pool_) c->pool_->forget_client(c);
  if (c->has_cancel_key_) cancel_keys_.erase(c->cancel_key_);
  if (c->counted_) client_counted(false);
  admin_->forget_client(c);
  c->state_ = ClientConnection::State::kClosing;
}

void Pooler::release_slot(Connection& conn) {
  // On exit the slots stay as they are: they describe what the fd store hands on.
  if (slots_file_ && conn.slot_ && !exiting_for_takeover_) slots_file_->slots().release(conn.slot_);
  // Gone from us: if we die, the old process closes its copy.
  if (handover_slots_ && conn.handover_slot_) handover_slots_->slots().release(conn.handover_slot_);
  conn.set_handover(-1, 0);
}

Result<takeover::HandoverCopies*> Pooler::start_handover_copies(int peer_pid) {
  if (handover_copies_) return handover_copies_.get();
  // Room for every connection we have, and for servers we may still open.
  const size_t now = clients_.size() + servers_.size();
  auto created = takeover::HandoverCopies::create(now + now / 4 + 64, peer_pid);
  if (!created) return created.error();
  handover_copies_ = std::move(created.value());
  return handover_copies_.get();
}

void Pooler::use_handover_slots(Socket region) {
  if (!region.valid()) return;
  auto attached = systemd::SlotsFile::attach(std::move(region));
  if (!attached) {
    POOLER_LOG(log_, LogLevel::kWarning,
               "takeover: cannot use the old process's slots (%s): if we die before SHUTDOWN, "
               "what we took dies with us",
               attached.error().message.c_str());
    return;
  }
  handover_slots_ = std::move(attached.value());
}

void Pooler::end_handover_slots() {
  if (!handover_slots_) return;
  for (ClientConnection* c : clients_) c->set_handover(-1, 0);
  for (ServerConnection* s : servers_) s->set_handover(-1, 0);
  handover_slots_.reset();
}

void Pooler::put_adopted_servers_to_work() {
  // Nothing ran since adopt(): each of these is still ours and idle.
  auto servers = std::move(adopted_before_release_);
  adopted_before_release_.clear();
  for (ServerConnection* s : servers) {
    if (!s->closing() && s->state() == ServerConnection::State::kIdle) s->pool().server_idle(s);
  }
}

void Pooler::resume_fd_store() {
  if (!fd_store_deferred_) return;
  fd_store_deferred_ = false;
  for (ClientConnection* c : clients_) {
    if (carried_over(*c) && !c->logging_in()) store_connection(*c, "client");
  }
  for (ServerConnection* s : servers_) {
    if (!s->closing() && !s->logging_in()) store_connection(*s, "server");
  }
  publish_slots();
}

bool Pooler::stop_takeover_peer(int peer, size_t kept) {
  if (peer <= 0) return false;  // unknown: we cannot know when it stopped touching them
  // A process that died is gone within milliseconds; one we gave up on (it stopped
  // reading) is stopped. Blocking, but only on this failure path.
  if (wait_until_gone(peer, std::chrono::milliseconds(500))) return true;
  POOLER_LOG(log_, LogLevel::kWarning,
             "takeover: the new process (pid %d) still runs after we lost it: stopping it "
             "(SIGKILL) before we serve again what it had",
             peer);
  kill(peer, SIGKILL);
  if (wait_until_gone(peer, std::chrono::seconds(2))) return true;
  POOLER_LOG(log_, LogLevel::kError,
             "takeover: the new process (pid %d) did not stop: leaving it the %zu connections "
             "it had",
             peer, kept);
  return false;  // our copies close without a word: it may still serve them
}

void Pooler::take_back_handed_over(takeover::HandoverCopies& copies) {
  const size_t kept = copies.kept();
  std::string error;
  takeover::SlotRecovery plan = copies.recover(&error);
  for (auto& d : plan.dropped) {
    // Not counted here since we handed it on (let_go); adopting one counts it again.
    if (fd_store_) fd_store_->remove_uncounted(d.store_name);
    d.socket.shutdown_and_close();  // ours was the last copy the client could be served by
  }
  if (!error.empty()) {
    POOLER_LOG(log_, LogLevel::kWarning,
               "takeover: the new process died before SHUTDOWN and its state is unreadable "
               "(%s): closing the %zu connections it had taken",
               error.c_str(), kept);
    return;
  }
  POOLER_LOG(log_, LogLevel::kWarning,
             "takeover: the new process died before SHUTDOWN: taking back %zu of the %zu "
             "connections it had taken; closing %zu mid-transaction, %zu it had closed or "
             "had no state for, %zu whose session partner was not taken back",
             plan.records.size(), kept, plan.busy, plan.missing, plan.unlinked);
  if (plan.records.empty()) return;
  if (auto r = adopt(std::move(plan.records), std::move(plan.sockets), plan.extra); !r) {
    POOLER_LOG(log_, LogLevel::kWarning, "takeover: taking back failed: %s",
               r.error().message.c_str());
  }
}

void Pooler::let_go(ClientConnection* c) {
  if (c->closing_) return;
  c->closing_ = true;
  if (fd_store_ && !c->store_name_.empty()) fd_store_->count_handed_on(1);
  if (ServerConnection* s = c->server_) {
    s->client_ = nullptr;  // it moved with its client; let go on its own
    c->server_ = nullptr;
  }
  unregister(c);
  release_slot(*c);
  c->read_event_.reset();
  c->write_event_.reset();
  c->socket_.reset();
  clients_.remove(c);
  graveyard_.emplace_back(c);
  reaper_.add(std::chrono::microseconds(1));
}

void Pooler::let_go(ServerConnection* s) {
  if (s->closing_) return;
  s->closing_ = true;
  if (fd_store_ && !s->store_name_.empty()) fd_store_->count_handed_on(1);
  s->state_ = ServerConnection::State::kClosing;
  s->client_ = nullptr;
  s->pool().forget_server(s);
  release_slot(*s);
  s->read_event_.reset();
  s->write_event_.reset();
  s->socket_.reset();
  servers_.remove(s);
  graveyard_.emplace_back(s);
  reaper_.add(std::chrono::microseconds(1));
}

void Pooler::begin_rolling_handover(ClientConnection* by) {
  rolling_ = true;
  rolling_parking_ = false;
  rolling_polls_ = 0;
  suspend_all(true, by);
  POOLER_LOG(log_, LogLevel::kLog,
             "takeover: rolling hand-over, each connection moves at its next idle moment");
}

bool Pooler::can_move_now(const ClientConnection& c) const {
  return carried_over(c) && !c.handed_over_ && c.quiescent() && at_rest(c);
}

std::vector<takeover::ConnectionRecord> Pooler::hand_over_movable() {
  // A bounded batch keeps each exchange short: we block while sending it, and the clients
  // in it wait until the peer has adopted them.
  constexpr size_t kMaxBatch = 128;
  constexpr int kPollsBeforeParking = 10;
  std::vector<takeover::ConnectionRecord> out;
  if (!listeners_handed_) {
    out = listener_records();
    listeners_handed_ = true;
  }
  // Hold busy clients at their next boundary only after ten polls that moved everything
  // movable (less than a full batch). While idle ones still stream out in full batches,
  // parking would stall busy clients behind all of them (1000 idle in batches of 32: 80 ms).
  if (rolling_polls_ > kPollsBeforeParking && !rolling_parking_) {
    rolling_parking_ = true;
    clients_.for_each_safe([&](ClientConnection* c) {
      if (!c->reading_allowed()) c->stop_reading();
    });
  }
  close_idle_tls_connections(
      "pooler is handing over to a new process; a TLS connection cannot move: reconnect");
  auto freeze = [](Connection& conn) {
    conn.handed_over_ = true;
    conn.stop_reading();  // bytes that arrive now are the new process's to read
  };
  for (ClientConnection* c : clients_) {
    if (out.size() >= kMaxBatch) return out;
    if (!can_move_now(*c)) continue;
    freeze(*c);
    out.push_back(client_record(*c));
    if (ServerConnection* s = c->server()) {
      freeze(*s);
      out.push_back(server_record_with_keys(*s));
    }
  }
  for (ServerConnection* s : servers_) {
    if (out.size() >= kMaxBatch) return out;
    if (s->handed_over_ || s->closing() || s->state() != ServerConnection::State::kIdle ||
        !s->quiescent() || s->tls()) {
      continue;
    }
    freeze(*s);
    s->pool().set_aside(s);
    out.push_back(server_record_with_keys(*s));
  }
  ++rolling_polls_;  // everything movable now went: what is left is busy
  return out;
}

void Pooler::heard_from_takeover_peer(const ClientConnection& client) {
  if (client.is_takeover_peer()) takeover_peer_heard_ = Clock::now();
}

void Pooler::check_takeover_peer(Clock::time_point now) {
  // Only in a rolling hand-over (a pooler peer: an operator's SUSPEND as pgbouncer stays
  // until RESUME, as in PgBouncer), and only while the peer owes us its next command:
  // SUSPEND itself may legitimately take up to suspend_timeout. Once it released a batch,
  // only if we can take back what it serves: it then asks every 2 ms until all moved and
  // sends SHUTDOWN at once, so silence means it hangs, and so do the clients it took.
  if (!suspended_ || !rolling_ || suspender_ == nullptr || !suspender_->is_takeover_peer() ||
      (released_any_ && !handover_copies_) || suspender_->admin_waiting() ||
      exiting_for_takeover_) {
    return;
  }
  const auto limit = std::chrono::duration_cast<Clock::duration>(config_.settings.suspend_timeout);
  if (limit.count() <= 0 || now - takeover_peer_heard_ < limit) return;
  const auto silent = std::chrono::duration_cast<std::chrono::seconds>(now - takeover_peer_heard_);
  POOLER_LOG(log_, LogLevel::kWarning,
             "takeover: the new process has sent nothing for %lld s (suspend_timeout) and %s: "
             "giving up on it",
             static_cast<long long>(silent.count()),
             released_any_ ? "we can take back what it took" : "has not released a batch yet");
  close_client(suspender_, "takeover peer went silent");
}

size_t Pooler::release_handed() {
  released_any_ = true;
  // With a peer that keeps its state where we can read it, our copy stays until SHUTDOWN.
  auto keep_copy = [&](Connection& conn) {
    if (handover_copies_ && conn.socket_.valid()) {
      const int fd = conn.socket_.fd();
      handover_copies_->keep(fd, std::move(conn.socket_), conn.store_name_);
    }
  };
  clients_.for_each_safe([&](ClientConnection* c) {
    if (!c->handed_over_) return;
    keep_copy(*c);
    let_go(c);
  });
  servers_.for_each_safe([&](ServerConnection* s) {
    if (!s->handed_over_) return;
    keep_copy(*s);
    let_go(s);
  });
  size_t still_here = 0;
  for (ClientConnection* c : clients_) {
    if (!c->is_admin() && !c->closing()) ++still_here;
  }
  for (ServerConnection* s : servers_) {
    if (!s->closing()) ++still_here;
  }
  return still_here;
}

void Pooler::takeover_finished() {
  for (auto& [key, pool] : pools_) {
    pool->set_servers_in_old_process(0);
    pool->launch_servers_if_needed();
  }
}

void Pooler::end_rolling_handover() {
  clients_.for_each_safe([&](ClientConnection* c) {
    if (c->is_admin() || c->closing()) return;
    c->fatal(sqlstate::kAdminShutdown,
             "pooler is handing over to a new process and this connection was still busy "
             "when takeover_timeout ran out");
  });
  servers_.for_each_safe(
      [&](ServerConnection* s) { close_server(s, "still busy when takeover_timeout ran out"); });
  exit_for_takeover();
}

void Pooler::store_connection(Connection& conn, const char* role) {
  if (!fd_store_ || !fd_store_->enabled() || !conn.store_name().empty() || conn.tls() ||
      fd_store_deferred_) {
    return;
  }
  std::string name = fd_store_->new_name(role);
  if (!fd_store_->store(conn.fd(), name)) return;
  conn.set_store_name(std::move(name));
  if (auto* c = dynamic_cast<ClientConnection*>(&conn)) slot_write(*c);
  if (auto* s = dynamic_cast<ServerConnection*>(&conn)) slot_write(*s);
}

void Pooler::write_slots(Connection& conn, const takeover::ConnectionRecord& record,
                         std::map<std::string, std::string> params, bool busy) {
  if (slots_file_ && !conn.store_name_.empty()) {
    if (!conn.slot_) conn.slot_ = slots_file_->slots().allocate();
    if (conn.slot_) {
      slots_file_->slots().write(
          conn.slot_, takeover::encode_connection_block(conn.store_name_, record, params), busy);
    }
  }
  if (handover_slots_ && conn.handover_fd_ >= 0) {
    if (!conn.handover_slot_) conn.handover_slot_ = handover_slots_->slots().allocate();
    if (!conn.handover_slot_) return;  // full: the old process closes its copy if we die
    // Named by the old process's fd, which is how it knows its copy.
    if (!conn.store_name_.empty()) params[takeover::kStoreNameParam] = conn.store_name_;
    handover_slots_->slots().write(
        conn.handover_slot_,
        takeover::encode_connection_block(std::to_string(conn.handover_fd_), record, params), busy);
  }
}

bool Pooler::slot_wanted(const Connection& conn) const {
  return (slots_file_ && !conn.store_name().empty()) ||
         (handover_slots_ && conn.handover_fd() >= 0);
}

void Pooler::slot_write(ClientConnection& c) {
  if (!slot_wanted(c)) return;
  // Prepared statements do not fit a slot: after a crash such a client is closed rather
  // than left to find its statements gone. Bytes in our buffers would be lost too.
  const ServerConnection* server = c.server();
  const bool busy =
      c.holds_statements() || !c.nothing_buffered() ||
      (c.state() != ClientConnection::State::kIdle &&
       c.state() != ClientConnection::State::kActive) ||
      (server && (server->state() != ServerConnection::State::kLinked ||
                  !server->at_transaction_boundary_after_scan() || !server->nothing_buffered()));
  takeover::ConnectionRecord record = client_record(c);
  // A link in a slot means a session; a transaction-mode pair at a boundary is two idle
  // ends, and the slot is not rewritten when they part.
  if (c.pool() && c.pool()->mode() != config::PoolMode::Session) record.link = 0;
  write_slots(c, record, tracked_values(c.params()), busy);
}

void Pooler::slot_write(ServerConnection& s) {
  if (!slot_wanted(s)) return;
  const ClientConnection* client = s.client();
  const bool busy = (s.state() != ServerConnection::State::kIdle &&
                     !(s.state() == ServerConnection::State::kLinked &&
                       s.at_transaction_boundary_after_scan())) ||
                    !s.nothing_buffered() || (client && !client->nothing_buffered());
  takeover::ConnectionRecord record = server_record(s);
  if (s.pool().mode() != config::PoolMode::Session) record.link = 0;
  write_slots(s, record, tracked_values(s.params()), busy);
}

void Pooler::publish_slots() {
  if (!fd_store_ || !fd_store_->enabled()) return;
  if (!slots_file_) {
    auto created = systemd::SlotsFile::create(std::max<size_t>(fd_store_->capacity(), 16));
    if (!created) {
      POOLER_LOG(log_, LogLevel::kWarning, "fd store: no crash-safe state: %s",
                 created.error().message.c_str());
      return;
    }
    slots_file_ = std::move(created.value());
    // Connections adopted before the slots existed get theirs now.
    for (ClientConnection* c : clients_) slot_write(*c);
    for (ServerConnection* s : servers_) slot_write(*s);
  }
  fd_store_->remove("slots");
  fd_store_->store(slots_file_->fd(), "slots");
}

void Pooler::check_restart_ready() {
  if (!restarting_ || exiting_for_takeover_) return;
  const auto limit = std::chrono::duration_cast<Clock::duration>(
      config_.settings.takeover_timeout.count() > 0 ? config_.settings.takeover_timeout
                                                    : config::Seconds(30));
  if (!quiescent()) {
    if (Clock::now() - restart_began_ < limit) return;
    // Out of time: what is still busy cannot be resumed by the next instance.
    POOLER_LOG(log_, LogLevel::kWarning, "restart: still busy after the timeout (%s)",
               busy_reason().c_str());
    clients_.for_each_safe([&](ClientConnection* c) {
      if (c->is_admin()) return;
      bool busy = c->state() != ClientConnection::State::kIdle || !c->quiescent();
      if (busy) c->fatal(sqlstate::kAdminShutdown, "pooler is restarting");
    });
  }
  hand_over_to_fd_store();
}

void Pooler::hand_over_to_fd_store() {
  close_idle_tls_connections("pooler is restarting; a TLS connection cannot be kept: reconnect");
  takeover::RestartState state;
  size_t clients = 0, servers = 0;
  // Only what is in the store can reach the next instance; the rest ends with us.
  for (ClientConnection* c : clients_) {
    if (!carried_over(*c) || c->store_name().empty()) continue;
    state.connections.emplace_back(c->store_name(), client_record(*c));
    ++clients;
  }
  for (ServerConnection* s : servers_) {
    if (s->closing() || s->store_name().empty()) continue;
    state.connections.emplace_back(s->store_name(), server_record_with_keys(*s));
    ++servers;
  }
  state.extra = takeover_extra_state();
  std::string text = takeover::encode_restart_state(state);
  if (const char* v = getenv("POOLER_TEST_STATE_VERSION")) {  // test hook: a future format
    text.replace(0, text.find('\n'), "pooler-state " + std::string(v));
  }
  int memfd = memfd_create("state", MFD_CLOEXEC);
  if (memfd >= 0 && write(memfd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
    Socket state_fd(memfd);
    fd_store_->remove("state");
    fd_store_->store(state_fd.fd(), "state");
    POOLER_LOG(log_, LogLevel::kLog,
               "restart: %zu clients and %zu servers left in the fd store for the next instance",
               clients, servers);
  } else {
    if (memfd >= 0) close(memfd);
    POOLER_LOG(log_, LogLevel::kError, "restart: could not write the state memfd: %s",
               strerror(errno));
  }
  exit_for_takeover();
}

void Pooler::begin_shutdown(bool fast) {
  if (notifier_ && shutdown_ == Shutdown::kNone) notifier_->stopping();
  if (!fast && fd_store_ && fd_store_->enabled() && !restarting_) {
    // Under systemd with a fd store, SIGTERM is a restart or a stop; the same hand-over
    // serves both: on stop, systemd flushes the store and clients see their sockets close.
    // Not a shutdown: clients finishing a transaction stay, servers go back to the pool
    // and waiting clients are served, until everything is at a boundary.
    restarting_ = true;
    restart_began_ = Clock::now();
    POOLER_LOG(log_, LogLevel::kLog,
               "SIGTERM: handing connections to the systemd fd store at their next boundary");
    suspend_all(true);
    check_restart_ready();
    return;
  }
  if (fast) {
    shutdown_ = Shutdown::kFast;
  } else if (shutdown_ == Shutdown::kNone) {
    shutdown_ = Shutdown::kGraceful;
  }
  for (auto& l : listeners_) l->disable();
  listeners_.clear();
  clients_.for_each_safe([&](ClientConnection* c) {
    if (fast || c->server_ == nullptr) {
      c->fatal(sqlstate::kAdminShutdown, "pooler is shutting down");
    }
  });
  if (fast) {
    servers_.for_each_safe([&](ServerConnection* s) { close_server(s, "shutdown"); });
  } else {
    for (auto& [key, pool] : pools_) pool->close_idle_servers("shutdown");
  }
  check_shutdown_done();
}

void Pooler::check_shutdown_done() {
  if (shutdown_ == Shutdown::kNone) return;
  // Graceful: clients in a transaction finish it; each is closed when its server returns.
  bool busy = false;
  clients_.for_each_safe([&](ClientConnection* c) {
    if (c->server_ != nullptr || c->is_admin_) busy = busy || c->server_ != nullptr;
  });
  if (busy) return;
  clients_.for_each_safe([&](ClientConnection* c) {
    if (!c->closing_) c->fatal(sqlstate::kAdminShutdown, "pooler is shutting down");
  });
  servers_.for_each_safe([&](ServerConnection* s) {
    if (s->state() == ServerConnection::State::kReset) return;  // finishing DISCARD ALL
    close_server(s, "shutdown");
  });
  if (servers_.empty()) loop_.break_loop();
}

Stats Pooler::total_stats() const {
  Stats total;
  for (const auto& [name, db] : databases_) total += db->stats;
  return total;
}

}  // namespace pooler::pool
