#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/hba.h"
#include "auth/scram_secret.h"
#include "auth/userlist.h"
#include "config/config.h"
#include "core/event_loop.h"
#include "core/intrusive_list.h"
#include "core/io_buffer.h"
#include "core/log.h"
#include "core/result.h"
#include "pool/cancel_key_map.h"
#include "pool/client_connection.h"
#include "pool/config_files.h"
#include "pool/database.h"
#include "pool/host_resolver.h"
#include "pool/listener.h"
#include "pool/pool.h"
#include "pool/server_connection.h"
#include "systemd/fd_store.h"
#include "systemd/listen_fds.h"
#include "systemd/notifier.h"
#include "systemd/slots_file.h"
#include "takeover/connection_record.h"
#include "takeover/connection_state.h"
#include "takeover/handover_copies.h"
#include "tls/context.h"

namespace pooler::admin {
class AdminConsole;
}

namespace pooler::pool {

class CancelForwarder;

// Owns everything one pooler instance has: config, loop, listeners, pools, connections.
// No globals, so tests (and later workers) can run several.
class Pooler {
 public:
  Pooler(EventLoop& loop, Logger& log, config::Config config);
  Pooler(const Pooler&) = delete;
  Pooler& operator=(const Pooler&) = delete;
  ~Pooler();

  // systemd integration; both optional (a test may run a Pooler without them).
  void set_notifier(systemd::Notifier* notifier) { notifier_ = notifier; }
  void set_fd_store(systemd::FdStore* store) { fd_store_ = store; }
  // Stores a connection in systemd's fd store under a fresh FDNAME (if the store is on).
  void store_connection(Connection& conn, const char* role);
  // Crash-safe state of a stored connection: the whole record, or just busy/idle.
  void slot_write(ClientConnection& client);
  void slot_write(ServerConnection& server);
  void slot_busy(Connection& conn, bool busy) {
    if (slots_file_ && conn.state_slot()) slots_file_->slots().set_busy(conn.state_slot(), busy);
    if (handover_slots_ && conn.handover_slot()) {
      handover_slots_->slots().set_busy(conn.handover_slot(), busy);
    }
  }
  // After restoring from the store: replace the "slots" memfd there with ours.
  void publish_slots();
  // What a start from the fd store brought back, for STATUS= and logs.
  size_t restored_at_start() const { return restored_; }
  size_t dropped_at_start() const { return dropped_; }
  const systemd::FdStore* fd_store() const { return fd_store_; }
  void set_restore_counts(size_t restored, size_t dropped) {
    restored_ = restored;
    dropped_ = dropped;
  }
  void set_inherited_listeners(std::vector<systemd::InheritedListener> listeners) {
    inherited_ = std::move(listeners);
  }
  // Loads the files the settings name (unless `files` were loaded and checked already),
  // adopts or binds listeners, installs signal handlers and timers.
  Result<void> start(std::optional<ConfigFiles> files = std::nullopt);
  // The one-line summary systemd shows as Status: and SHOW STATE prints.
  std::string status_line() const;
  // Runs the loop until shutdown; returns the process exit code.
  int run();

  EventLoop& loop() { return loop_; }
  Logger& log() { return log_; }
  const config::Config& config() const { return config_; }
  const config::Settings& settings() const { return config_.settings; }
  // What TLS clients get (client_tls_*), or nullptr when client_tls_sslmode is disable.
  const std::shared_ptr<tls::Context>& client_tls() const { return client_tls_; }
  // What server connections use (server_tls_*), or nullptr when server_tls_sslmode is disable.
  const std::shared_ptr<tls::Context>& server_tls() const { return server_tls_; }
  BufferPool& buffers() { return buffers_; }
  // Longest message accepted on a connection: max_packet_size, but never more than
  // PostgreSQL's own 1 GB limit, so an absurd length closes the client, not the server.
  uint32_t max_message_length() const {
    return static_cast<uint32_t>(
        std::min<long long>(config_.settings.max_packet_size, 0x3fffffffLL));
  }
  CancelKeyMap& cancel_keys() { return cancel_keys_; }
  admin::AdminConsole& admin() { return *admin_; }

  // Re-reads the config file (and auth_file). On errors the old config keeps running
  // and the errors are returned, one per line.
  Result<void> reload();
  // The admin console's SET: one setting that a reload could change, until the next reload.
  Result<void> set_setting(const std::string& key, const std::string& value);
  void begin_shutdown(bool fast);  // SIGINT fast; SIGTERM waits for transactions
  bool shutting_down() const { return shutdown_ != Shutdown::kNone; }
  void pause_all(bool pause);
  bool paused() const { return paused_; }
  // SUSPEND: stop accepting and stop reading from clients; buffered work drains. Used by
  // the online takeover. `by` is the admin client that asked: if it goes away before
  // SHUTDOWN, the takeover failed and we resume by ourselves.
  void suspend_all(bool suspend, ClientConnection* by = nullptr);
  // Every client and server is quiet: nothing buffered, no query running, no login.
  bool quiescent() const;
  // Ends every client and server that keeps quiescent() false, with `why` (57P01).
  void drop_busy_connections(const char* why);
  std::string busy_reason() const;  // what keeps the pooler from being quiescent, or ""

  // The SHOW FDS records of every listener, logged-in client and server.
  std::vector<takeover::ConnectionRecord> takeover_records() const;

  // Rolling takeover, between two pooler processes (SUSPEND ROLLING): no global pause.
  // Listeners move first; every other connection moves at its first moment with nothing
  // in flight, while the busy ones are still served here.
  void begin_rolling_handover(ClientConnection* by);
  bool rolling_handover() const { return rolling_; }
  // Rolling: clients between transactions are first read as usual (each moves when a poll
  // finds it idle, and waits for nothing before that); after a few polls the rest are
  // held at their next boundary, so a client that is always busy moves too.
  bool rolling_parks_idle_clients() const { return rolling_ && rolling_parking_; }
  // Freezes what can move now (and the listeners, the first time) and returns their
  // SHOW FDS records. They stay ours until release_handed() or a resume.
  std::vector<takeover::ConnectionRecord> hand_over_movable();
  // The peer adopted the frozen connections: close our copies without a word on the wire.
  // Returns how many connections are still served here.
  size_t release_handed();
  // Drops a takeover peer that has said nothing for suspend_timeout while everything can
  // still be resumed or taken back: a hung or stopped new process must not keep us
  // suspended, nor keep the clients it took.
  void check_takeover_peer(Clock::time_point now);
  // SHUTDOWN after a rolling hand-over: what is still busy (takeover_timeout ran out) gets
  // 57P01, then we leave.
  void end_rolling_handover();
  // In the new process, once the old one is gone: pools stop counting its servers.
  void takeover_finished();
  // SHUTDOWN from the takeover peer: close our copies of every fd without a word on the
  // wire (the new process owns the connections now) and leave the loop.
  void exit_for_takeover();
  // Rebuild connections received from an old process (takeover), before the loop runs.
  // `from_takeover_peer`: they came from a running old process, which can take them back
  // from our handover slots if we die before SHUTDOWN.
  Result<void> adopt(std::vector<takeover::ConnectionRecord> records, std::vector<Socket> sockets,
                     const std::vector<takeover::ExtraState>& extra,
                     bool from_takeover_peer = false);
  // Rolling takeover, old side (SHOW FDS_SLOTS): from now on we keep a copy of each socket
  // we release, and the region the peer keeps their state in.
  Result<takeover::HandoverCopies*> start_handover_copies(int peer_pid);
  // Rolling takeover, new side: the old process's region (may be invalid: none offered),
  // kept current for what we take from it until it is gone.
  // Rolling takeover, new side, after RELEASE FDS: the idle servers of the batch join their
  // pools (waiting clients get them at once).
  void put_adopted_servers_to_work();
  void use_handover_slots(Socket region);
  void end_handover_slots();
  // Rolling takeover, new side: nothing of ours goes into systemd's fd store until the old
  // process is gone. If we die before, the store must not hold our own clients open, nor
  // carry our slots in place of the old process's.
  void defer_fd_store() { fd_store_deferred_ = true; }
  void resume_fd_store();
  // The SHOW FDS_STATE rows: every tracked parameter per connection (only the frozen ones
  // in a rolling hand-over), and the stats per database not yet sent.
  std::vector<takeover::ExtraState> takeover_extra_state();
  bool suspended() const { return suspended_; }
  // The takeover peer sent a command or got our answer: it is alive and it is its turn.
  void heard_from_takeover_peer(const ClientConnection& client);

  // Lookups for clients logging in.
  Database* find_database(const std::string& name);  // creates from "*" if needed
  // A database already known, or configured by its own name; never created from "*".
  Database* existing_database(const std::string& name);
  PoolUser* find_user(const std::string& name);  // nullptr if not in auth_file
  const auth::HbaFile& hba() const { return hba_; }
  PoolUser& user_for_pool(const std::string& name);  // creates an entry if needed
  Pool& pool_for(Database& db, const std::string& client_user);
  // The pool whose servers log in as auth_user and run auth_query (never a forced user).
  Pool& auth_query_pool_for(Database& db, const std::string& auth_user);
  const std::map<std::string, std::unique_ptr<Database>>& databases() const { return databases_; }
  const std::map<std::string, std::unique_ptr<PoolUser>>& users() const { return users_; }
  const std::map<std::pair<std::string, std::string>, std::unique_ptr<Pool>>& pools() const {
    return pools_;
  }
  const std::vector<std::unique_ptr<Listener>>& listeners() const { return listeners_; }
  auth::ScramKeyCache& scram_cache() { return scram_cache_; }
  StatementRegistry& statement_registry() { return statement_registry_; }
  std::string& inject_scratch() { return inject_scratch_; }
  // Random per process: salts for plaintext users' SCRAM secrets and decoys.
  const std::string& scram_salt_seed() const { return scram_salt_seed_; }

  // Connections.
  void accept_client(Socket socket, bool from_unix, PeerAddress address);
  // Authenticated: no longer subject to client_login_timeout.
  void login_done(ClientConnection* client) { logging_in_.remove(client); }
  size_t logging_in_count() const { return logging_in_.size(); }
  // A server connection with its connect started; the pool lists it, then start_connect().
  // Null with *resolving set while the host's name is being looked up: every pool is asked
  // to launch again once the answer is in.
  ServerConnection* open_server(Pool& pool, bool* in_progress, bool* resolving, std::string* error);
  HostResolver& resolver() { return resolver_; }
  void close_client(ClientConnection* client, const char* reason);
  void close_server(ServerConnection* server, const char* reason);
  void forward_cancel(const ServerConnection& server);
  void finish_cancel_forward(CancelForwarder* forwarder);
  const IntrusiveList<ClientConnection, &ClientConnection::all_node>& clients() const {
    return clients_;
  }
  const IntrusiveList<ServerConnection, &ServerConnection::all_node>& servers() const {
    return servers_;
  }
  int client_count() const { return client_count_; }
  void client_counted(bool add) { client_count_ += add ? 1 : -1; }

  // Shared limits: close an idle server of another pool sharing `pool`'s database or user
  // so `pool` may open one. Returns true if one was closed.
  bool evict_idle_server(Pool& pool);
  // A server went idle in `pool` with nobody waiting: pools that wait on a shared limit
  // may take its place.
  void wake_pools_waiting_on_limits(Pool& pool);

  // Admin commands that wait (PAUSE, WAIT_CLOSE) are re-checked when servers change.
  void notify_server_state_changed();
  bool has_active_servers() const;

  // Totals per database for SHOW STATS.
  Stats total_stats() const;

 private:
  enum class Shutdown { kNone, kGraceful, kFast };
  Pool& pool_with(Database& db, const std::string& server_user, const std::string& client_user);
  Result<void> bind_listeners();
  // The files of the settings now in force. Connections already on TLS keep the context
  // they shook hands with (they hold a reference).
  void install(ConfigFiles files);
  // After a RELOAD or SET: the new settings onto the log (a changed logfile is opened),
  // users, databases, listeners and pools.
  void apply_new_settings(const std::string& old_logfile);
  void apply_listener_settings();  // tcp_defer_accept on the TCP listeners
  // What has TLS cannot move to another process: each such client (and each session-mode
  // client whose server has TLS) ends with 57P01 when idle; idle TLS servers are closed.
  void close_idle_tls_connections(const char* why);
  Result<void> reload_config();
  void apply_config();
  void install_signals();
  void maintenance();
  void end_stats_period(Clock::time_point now);  // averages for SHOW STATS, log_stats line
  // Databases made from "*" with no client for autodb_idle_timeout go away, idle servers too.
  void drop_unused_autodbs(Clock::time_point now);
  void reap();
  void check_shutdown_done();
  static void signal_cb(evutil_socket_t sig, short, void* arg);
  static void timer_cb(evutil_socket_t, short, void* arg);
  static void reap_cb(evutil_socket_t, short, void* arg);
  static void watchdog_cb(evutil_socket_t, short, void* arg);
  void update_status();

  EventLoop& loop_;
  Logger& log_;
  config::Config config_;
  auth::Userlist userlist_;
  auth::HbaFile hba_;  // auth_hba_file; no rules when unset
  std::shared_ptr<tls::Context> client_tls_;
  std::shared_ptr<tls::Context> server_tls_;
  BufferPool buffers_;
  CancelKeyMap cancel_keys_;
  auth::ScramKeyCache scram_cache_;
  StatementRegistry statement_registry_;
  HostResolver resolver_;
  std::string inject_scratch_;  // messages added to a client's stream; reused, never shrunk
  std::string scram_salt_seed_;
  std::unique_ptr<admin::AdminConsole> admin_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::map<std::string, std::unique_ptr<Database>> databases_;
  std::map<std::string, std::unique_ptr<PoolUser>> users_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Pool>> pools_;
  IntrusiveList<ClientConnection, &ClientConnection::all_node> clients_;
  IntrusiveList<ServerConnection, &ServerConnection::all_node> servers_;
  // Accepted and not yet authenticated, oldest first (pool_node is free until then): the
  // login timeout looks only here, so idle clients cost nothing per tick.
  IntrusiveList<ClientConnection, &ClientConnection::pool_node> logging_in_;
  std::vector<std::unique_ptr<Connection>> graveyard_;
  std::vector<std::unique_ptr<Connection>> cancel_forwards_;
  int client_count_ = 0;
  Shutdown shutdown_ = Shutdown::kNone;
  bool paused_ = false;
  bool suspended_ = false;
  ClientConnection* suspender_ = nullptr;
  // A takeover peer that goes silent before it has taken anything is dropped after
  // suspend_timeout, and we resume (check_takeover_peer).
  Clock::time_point takeover_peer_heard_{};
  bool released_any_ = false;  // RELEASE FDS came: the peer serves them; only a take-back
                               // (HandoverCopies) returns them
  bool exiting_for_takeover_ = false;
  bool rolling_ = false;           // SUSPEND ROLLING from a pooler peer
  bool listeners_handed_ = false;  // rolling: the listeners went with the first batch
  bool rolling_parking_ = false;
  int rolling_polls_ = 0;  // polls of a rolling hand-over that moved all they could
  bool can_move_now(const ClientConnection& c) const;
  std::vector<takeover::ConnectionRecord> listener_records() const;
  // Forget a connection the new process owns now: plain close(), no shutdown(), no fd
  // store removal (the store entry is the successor's).
  void let_go(ClientConnection* client);
  void let_go(ServerConnection* server);
  // What closing and letting go share: the client leaves every list and count.
  void unregister(ClientConnection* client);
  void release_slot(Connection& conn);
  int exit_code_ = 0;
  Event sighup_, sigterm_, sigint_, sigusr1_, sigusr2_;
  Event maintenance_timer_;
  Event watchdog_timer_;
  systemd::Notifier* notifier_ = nullptr;
  systemd::FdStore* fd_store_ = nullptr;
  std::unique_ptr<systemd::SlotsFile> slots_file_;
  std::unique_ptr<takeover::HandoverCopies> handover_copies_;  // old side of a rolling takeover
  std::unique_ptr<systemd::SlotsFile> handover_slots_;         // new side
  bool fd_store_deferred_ = false;
  // Both slot regions: the fd store's, and the old process's while it can take back.
  // Some region (the fd store's or the old process's) has or will have a slot for it.
  bool slot_wanted(const Connection& conn) const;
  void write_slots(Connection& conn, const takeover::ConnectionRecord& record,
                   std::map<std::string, std::string> params, bool busy);
  void take_back_handed_over(takeover::HandoverCopies& copies);
  bool stop_takeover_peer(int peer_pid, size_t kept);  // true once it is gone
  std::vector<ServerConnection*> adopted_before_release_;
  bool restarting_ = false;  // SIGTERM with the fd store: hand everything to the next instance
  Clock::time_point restart_began_{};
  size_t restored_ = 0, dropped_ = 0;
  void check_restart_ready();
  void adopt_store_name(Connection& conn, const std::map<std::string, std::string>& values);
  void hand_over_to_fd_store();
  std::vector<systemd::InheritedListener> inherited_;
  Clock::time_point rate_since_{};
  Clock::time_point stats_period_start_ = Clock::now();
  uint64_t rate_xacts_ = 0;
  uint64_t tx_per_second_ = 0;
  Event reaper_;
};

}  // namespace pooler::pool
