#include "pool/client_connection.h"

#include <pwd.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "admin/admin_console.h"
#include "auth/crypto.h"
#include "auth/md5.h"
#include "auth/scram_secret.h"
#include "auth/userlist.h"
#include "pool/pool.h"
#include "pool/pooler.h"
#include "pool/server_connection.h"
#include "protocol/backend_messages.h"
#include "protocol/byte_order.h"
#include "protocol/frame.h"
#include "protocol/message_builder.h"
#include "protocol/sqlstate.h"
#include "takeover/show_fds.h"

namespace pooler::pool {

using protocol::Frame;
namespace sqlstate = protocol::sqlstate;

namespace {
constexpr int kDefaultScramIterations = 4096;

bool listed(const std::vector<std::string>& list, const std::string& name) {
  for (const auto& item : list) {
    if (item == name || item == "*") return true;
  }
  return false;
}

bool is_admin_db(const std::string& db) {
  return db == "pooler" || db == "pgbouncer";
}
}  // namespace

ClientConnection::ClientConnection(Pooler& pooler, Socket socket, bool from_unix_socket,
                                   PeerAddress address)
    : Connection(pooler, std::move(socket)), from_unix_socket_(from_unix_socket) {
  address_ = std::move(address);
  last_activity_ = connect_time_;
  start_reading();
}

ClientConnection::~ClientConnection() = default;

const char* ClientConnection::state_name() const {
  switch (state_) {
    case State::kStartup:
    case State::kTlsHandshake:
    case State::kAuthQuery:
    case State::kAuth:
    case State::kWelcomeWait:
      return "login";
    case State::kIdle:
      return "active";  // PgBouncer: logged in and not waiting
    case State::kWaiting:
      return "waiting";
    case State::kActive:
      return "active";
    case State::kAdmin:
      return "active";
    case State::kClosing:
      return "closing";
  }
  return "unknown";
}

std::string ClientConnection::label() const {
  char buf[512];
  snprintf(buf, sizeof buf, "C-%p: %s/%s@%s", static_cast<const void*>(this),
           db_name_.empty() ? "(nodb)" : db_name_.c_str(),
           user_name_.empty() ? "(nouser)" : user_name_.c_str(), address_.to_string().c_str());
  return buf;
}

void ClientConnection::log_pooler_error(std::string_view message) {
  if (!pooler_.settings().log_pooler_errors) return;
  const std::string addr = address_.to_string();
  LogContext ctx{"pooler_error", db_name_, user_name_, addr, this};
  POOLER_LOG_EVENT(pooler_.log(), LogLevel::kWarning, ctx, "%s pooler error: %.*s", label().c_str(),
                   static_cast<int>(message.size()), message.data());
}

void ClientConnection::fatal(const char* code, std::string_view message) {
  if (closing_) return;
  log_pooler_error(message);
  std::string out;
  protocol::append_error_response(out, "FATAL", code, message);
  send_local(out);
  std::string reason(message);
  pooler_.close_client(this, reason.c_str());
}

void ClientConnection::send_error(const char* code, std::string_view message) {
  log_pooler_error(message);
  std::string out;
  protocol::append_error_response(out, "ERROR", code, message);
  send_local(out);
}

Connection* ClientConnection::forward_source() {
  return (server_ && server_->state() == ServerConnection::State::kLinked)
             ? static_cast<Connection*>(server_)
             : nullptr;
}

void ClientConnection::on_readable() {
  if (!reading_allowed()) {
    stop_reading();  // suspended at a boundary: the bytes wait in the kernel
    return;
  }
  if (state_ == State::kTlsHandshake) {
    continue_tls_handshake();
    return;
  }
  // Bytes we hold are lost if we crash before they reach a server: busy before the read
  // (a crash right after it would lose them with the slot still saying idle), so crash
  // recovery closes this client rather than leave it waiting for an answer.
  pooler_.slot_busy(*this, true);
  ssize_t n = read_some();
  if (n == 0) {
    pooler_.close_client(
        this, state_ == State::kStartup ? "client closed before login" : "client unexpected eof");
    return;
  }
  if (n == -1) {
    pooler_.close_client(this, read_error().c_str());
    return;
  }
  if (n == -2) {
    if (in_.space() == 0) stop_reading();  // full: wait until a server takes the bytes
    settle_slot_after_empty_read();
    return;
  }
  last_activity_ = Clock::now();
  if (pool_) pool_->db().stats.bytes_received += static_cast<uint64_t>(n);
  process_input();
}

void ClientConnection::settle_slot_after_empty_read() {
  // Woken with nothing to read: idle again if we were (as Pooler::slot_write decides).
  if (!has_state_slot()) return;
  if (server_) {
    server_->settle_slot();
  } else if (state_ == State::kIdle && nothing_buffered()) {
    pooler_.slot_busy(*this, holds_statements());
  }
}

void ClientConnection::process_input() {
  if (closing_) return;
  switch (state_) {
    case State::kStartup:
      handle_startup();
      return;
    case State::kTlsHandshake:
      return;  // OpenSSL reads the socket itself until the handshake is done
    case State::kAuthQuery:
      return;  // nothing is due from the client before our challenge
    case State::kAuth: {
      while (!closing_ && state_ == State::kAuth) {
        Frame f = protocol::next_frame(in_.data(), in_.size(), 10000);
        if (f.status == Frame::Status::kIncomplete) return;
        if (f.status == Frame::Status::kInvalid) {
          fatal(sqlstate::kProtocolViolation, "invalid message length during authentication");
          return;
        }
        if (f.size() > in_.size()) return;
        std::string body(reinterpret_cast<const char*>(in_.data()) + 5, f.body_size());
        in_.consume(f.size());
        handle_auth_message(f.type, body);
      }
      if (!closing_) process_input();
      return;
    }
    case State::kWelcomeWait:
      return;  // keep any early bytes until the welcome went out
    case State::kAdmin:
      process_admin_input();
      return;
    case State::kIdle:
    case State::kWaiting: {
      if (in_.empty()) {
        release_buffer_if_idle();
        return;
      }
      Frame f = protocol::next_frame(in_.data(), in_.size(), pooler_.max_message_length());
      if (f.status == Frame::Status::kInvalid) {
        fatal(sqlstate::kProtocolViolation, std::string("invalid message from client: ") + f.error);
        return;
      }
      if (f.status == Frame::Status::kComplete && f.type == 'X') {
        pooler_.close_client(this, "client close request");
        return;
      }
      if (state_ == State::kIdle) {
        if (pooler_.shutting_down()) {
          fatal(sqlstate::kAdminShutdown, "pooler is shutting down");
          return;
        }
        request_time_ = Clock::now();
        pool_->request_server(this);
      } else if (in_.space() == 0) {
        stop_reading();
      }
      return;
    }
    case State::kActive:
      forward_to_server();
      return;
    case State::kClosing:
      return;
  }
}

void ClientConnection::handle_startup() {
  while (!closing_ && state_ == State::kStartup && !in_.empty()) {
    auto p = protocol::parse_startup(in_.data(), in_.size());
    if (p.status == protocol::StartupParse::Status::kIncomplete) return;
    if (p.status == protocol::StartupParse::Status::kInvalid) {
      fatal(p.error.sqlstate, p.error.message);
      return;
    }
    in_.consume(p.consumed);
    switch (p.packet.kind) {
      case protocol::StartupPacket::Kind::kSslRequest:
        if (!begin_tls()) return;
        break;
      case protocol::StartupPacket::Kind::kGssEncRequest:
        send_local("N");  // no GSS encryption: the client continues in plaintext
        break;
      case protocol::StartupPacket::Kind::kCancelRequest:
        handle_cancel(p.packet.cancel_pid, p.packet.cancel_key);
        return;
      case protocol::StartupPacket::Kind::kStartup:
        if (!handle_startup_packet(p.packet)) return;
        break;
    }
  }
  if (!closing_ && state_ != State::kStartup) process_input();
}

bool ClientConnection::begin_tls() {
  const auto& ctx = pooler_.client_tls();
  // Over a Unix socket TLS protects nothing (libpq never asks there); the takeover peer
  // logs in that way too.
  if (!ctx || from_unix_socket_ || tls_) {
    send_local("N");
    return true;
  }
  if (!in_.empty()) {
    // Bytes sent before our answer were not protected by TLS: a man in the middle could
    // have put them there (CVE-2021-23214).
    fatal(sqlstate::kProtocolViolation, "received unencrypted data after SSL request");
    return false;
  }
  send_local("S");
  if (has_pending_output()) {
    pooler_.close_client(this, "could not send the SSL answer");
    return false;
  }
  tls_ = std::make_unique<tls::TlsStream>(ctx, fd());
  if (!tls_->valid()) {
    pooler_.close_client(this, ("TLS setup failed: " + tls_->error()).c_str());
    return false;
  }
  state_ = State::kTlsHandshake;
  in_.release_if_empty(pooler_.buffers());
  continue_tls_handshake();
  return false;  // the handshake goes on from the socket's events
}

void ClientConnection::continue_tls_handshake() {
  std::string why;
  switch (step_tls_handshake(why)) {
    case HandshakeStep::kDone:
      state_ = State::kStartup;
      if (tls_->has_pending()) read_event_.activate(EV_READ);
      return;
    case HandshakeStep::kPending:
      return;
    case HandshakeStep::kFailed:
      pooler_.close_client(this, why.c_str());
      return;
  }
}

bool ClientConnection::handle_startup_packet(const protocol::StartupPacket& packet) {
  const config::Settings& s = pooler_.settings();
  if (!tls_ && !from_unix_socket_ && pooler_.client_tls() && pooler_.client_tls()->required()) {
    fatal(sqlstate::kInvalidAuthorization, "SSL required");
    return false;
  }
  user_name_ = *packet.param("user");
  db_name_ = *packet.param("database");
  for (const auto& [name, value] : packet.params) {
    if (name == "user" || name == "database") continue;
    if (params_.set(name, value)) continue;
    if (listed(s.ignore_startup_parameters, name)) continue;
    if (name == "options" && value.empty()) continue;
    if (name.rfind("_pq_.", 0) == 0) continue;  // protocol options: we speak plain 3.0
    fatal(sqlstate::kProtocolViolation, "unsupported startup parameter: " + name);
    return false;
  }
  if (s.application_name_add_host) {
    // As PgBouncer: "<application_name> - <client address>", so the server's
    // pg_stat_activity tells clients apart behind the pooler.
    std::string name(params_.get(TrackedParam::kApplicationName));
    params_.set(TrackedParam::kApplicationName, name + " - " + address_.to_string());
  }
  if (pooler_.shutting_down()) {
    fatal(sqlstate::kCannotConnectNow, "pooler is shutting down");
    return false;
  }
  if (pooler_.client_count() >= s.max_client_conn) {
    fatal(sqlstate::kTooManyConnections, "no more connections allowed (max_client_conn)");
    return false;
  }
  counted_ = true;
  pooler_.client_counted(true);
  if (is_admin_db(db_name_)) {
    is_admin_ = true;
  } else {
    Database* db = pooler_.find_database(db_name_);
    if (!db) {
      fatal(sqlstate::kInvalidCatalogName, "no such database: " + db_name_);
      return false;
    }
    if (db->disabled) {
      fatal(sqlstate::kCannotConnectNow,
            "database \"" + db_name_ + "\" does not allow connections");
      return false;
    }
  }
  if (s.log_connections) {
    const std::string addr = address_.to_string();
    LogContext ctx{"login", db_name_, user_name_, addr, this};
    POOLER_LOG_EVENT(pooler_.log(), LogLevel::kLog, ctx, "%s login attempt: db=%s user=%s tls=%s",
                     label().c_str(), db_name_.c_str(), user_name_.c_str(),
                     tls_ ? tls_->description().c_str() : "no");
  }
  begin_auth();
  return !closing_;
}

void ClientConnection::begin_auth() {
  login_ = std::make_unique<LoginState>();
  PoolUser* user = pooler_.find_user(user_name_);
  login_->user_known = user != nullptr && user->in_auth_file;
  login_->secret = login_->user_known ? user->credentials.secret : std::string();
  if (is_admin_ && from_unix_socket_ && user_name_ == "pgbouncer" &&
      takeover::peer_has_our_uid(fd())) {
    takeover_peer_ = true;  // our own uid on our own socket: the takeover peer
    auth_succeeded();
    return;
  }
  login_->method = pooler_.settings().auth_type;
  if (login_->method == config::AuthType::Hba && !apply_hba()) return;
  if (!login_->user_known && !is_admin_ && login_->method != config::AuthType::Any &&
      start_auth_query()) {
    return;
  }
  send_auth_request();
}

bool ClientConnection::apply_hba() {
  const auth::HbaRequest request{from_unix_socket_, tls(), address_.host, db_name_, user_name_};
  const auth::HbaRule* rule = pooler_.hba().match(request);
  // PostgreSQL's wording, so operators recognise it.
  const std::string who = "host \"" + (from_unix_socket_ ? std::string("[local]") : address_.host) +
                          "\", user \"" + user_name_ + "\", database \"" + db_name_ + "\", " +
                          (tls() ? "SSL encryption" : "no encryption");
  if (!rule) {
    refuse_login(sqlstate::kInvalidAuthorization, "no pg_hba.conf entry for " + who);
    return false;
  }
  switch (rule->method) {
    case auth::HbaMethod::kReject:
      refuse_login(sqlstate::kInvalidAuthorization, "pg_hba.conf rejects connection for " + who);
      return false;
    case auth::HbaMethod::kTrust:
      login_->method = config::AuthType::Trust;
      break;
    case auth::HbaMethod::kPassword:
      login_->method = config::AuthType::Plain;
      break;
    case auth::HbaMethod::kMd5:
      login_->method = config::AuthType::Md5;
      break;
    case auth::HbaMethod::kScramSha256:
      login_->method = config::AuthType::ScramSha256;
      break;
    case auth::HbaMethod::kPeer:
      login_->method = config::AuthType::Peer;
      break;
    case auth::HbaMethod::kCert:
      login_->method = config::AuthType::Cert;
      break;
  }
  POOLER_LOG(pooler_.log(), LogLevel::kDebug, "%s %s:%d: %s", label().c_str(),
             pooler_.hba().filename.c_str(), rule->line,
             std::string(auth::to_string(rule->method)).c_str());
  return true;
}

void ClientConnection::check_peer() {
  ucred cred{};
  socklen_t len = sizeof cred;
  std::string name;
  if (from_unix_socket_ && getsockopt(fd(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    passwd pw{};
    passwd* found = nullptr;
    std::array<char, 4096> buf{};
    if (getpwuid_r(cred.uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
      name = found->pw_name;
    }
  }
  if (name.empty() || name != user_name_) {
    refuse_login(sqlstate::kInvalidAuthorization,
                 "Peer authentication failed for user \"" + user_name_ + "\"");
    return;
  }
  auth_succeeded();
}

void ClientConnection::check_certificate() {
  const std::string name = tls_ ? tls_->verified_peer_common_name() : std::string();
  if (name.empty()) {
    refuse_login(sqlstate::kInvalidAuthorization, "connection requires a valid client certificate");
    return;
  }
  if (name != user_name_) {
    refuse_login(sqlstate::kInvalidAuthorization,
                 "certificate authentication failed for user \"" + user_name_ + "\"");
    return;
  }
  auth_succeeded();
}

bool ClientConnection::start_auth_query() {
  Database* db = pooler_.find_database(db_name_);
  if (!db) return false;  // fails as an unknown user would: no hint which databases exist
  const std::string& auth_user =
      db->entry.auth_user.empty() ? pooler_.settings().auth_user : db->entry.auth_user;
  if (auth_user.empty()) return false;
  state_ = State::kAuthQuery;
  Pool& pool = pooler_.auth_query_pool_for(*db, auth_user);
  login_->auth_query_pool = &pool;
  pool.request_auth_query(this);
  return true;
}

void ClientConnection::auth_query_started(ServerConnection* server) {
  login_->auth_query_pool = nullptr;  // out of the queue
  login_->auth_query_server = server;
}

void ClientConnection::abandon_auth_query() {
  if (!login_) return;
  if (login_->auth_query_pool) login_->auth_query_pool->cancel_auth_query(this);
  if (login_->auth_query_server) login_->auth_query_server->abandon_auth_query();
  login_->auth_query_pool = nullptr;
  login_->auth_query_server = nullptr;
}

void ClientConnection::on_auth_query_reply(const auth::AuthQueryReply& reply) {
  login_->auth_query_server = nullptr;
  if (closing_ || state_ != State::kAuthQuery) return;
  if (!reply.error().empty()) {
    // The reason is in the log; the client learns only that it was not its password.
    fatal(sqlstate::kConnectionFailure,
          "authentication query failed (auth_query, see pooler's log)");
    return;
  }
  // A role without a password (NULL or empty) cannot log in with one, as in PostgreSQL.
  login_->user_known = reply.found() && reply.secret() && !reply.secret()->empty();
  login_->secret = login_->user_known ? *reply.secret() : std::string();
  login_->from_auth_query = login_->user_known;
  send_auth_request();
}

void ClientConnection::send_auth_request() {
  std::string out;
  switch (login_->method) {
    case config::AuthType::Any:
      auth_succeeded();
      return;
    case config::AuthType::Hba:  // never here: begin_auth put the rule's method instead
      auth_failed();
      return;
    case config::AuthType::Peer:
      check_peer();
      return;
    case config::AuthType::Cert:
      check_certificate();
      return;
    case config::AuthType::Trust:
      if (!login_->user_known) {
        auth_failed();
        return;
      }
      auth_succeeded();
      return;
    case config::AuthType::Plain:
      protocol::append_auth_cleartext(out);
      break;
    case config::AuthType::Md5:
      if (!login_->user_known || auth::secret_kind(login_->secret) != auth::SecretKind::Scram) {
        auth::secure_random(login_->md5_salt.data(), login_->md5_salt.size());
        protocol::append_auth_md5(out, login_->md5_salt.data());
        break;
      }
      [[fallthrough]];  // a SCRAM secret cannot answer md5: use SCRAM, as PgBouncer does
    case config::AuthType::ScramSha256: {
      auth::ScramSecret secret;
      const auth::SecretKind kind = auth::secret_kind(login_->secret);
      std::optional<auth::ScramSecret> parsed;
      if (login_->user_known && kind == auth::SecretKind::Scram)
        parsed = auth::parse_scram_secret(login_->secret);
      if (parsed) {
        secret = *parsed;
      } else if (login_->user_known && kind == auth::SecretKind::Plain) {
        // A stable per-user salt lets the key cache skip PBKDF2 on later logins.
        std::string salt = auth::md5_hex(pooler_.scram_salt_seed() + user_name_).substr(0, 16);
        secret = pooler_.scram_cache().secret(login_->secret, salt, kDefaultScramIterations);
      } else {
        // Unknown user or md5 secret: run the exchange against a decoy so the failure
        // looks exactly like a wrong password.
        std::string salt =
            auth::md5_hex(pooler_.scram_salt_seed() + "decoy" + user_name_).substr(0, 16);
        secret =
            pooler_.scram_cache().secret(pooler_.scram_salt_seed(), salt, kDefaultScramIterations);
        login_->user_known = false;
      }
      login_->scram = std::make_unique<auth::ScramServer>(std::move(secret));
      protocol::append_auth_sasl(out, "SCRAM-SHA-256");
      break;
    }
  }
  state_ = State::kAuth;
  send_local(out);
}

void ClientConnection::handle_auth_message(char type, std::string_view body) {
  if (type != 'p') {
    fatal(sqlstate::kProtocolViolation,
          std::string("expected password response, got message type ") + type);
    return;
  }
  if (login_->scram) {
    if (!login_->scram->authenticated() && !login_->sasl_started) {
      auto init = protocol::parse_sasl_initial_response(body);
      if (!init || init->mechanism != "SCRAM-SHA-256") {
        fatal(sqlstate::kProtocolViolation, "client selected an invalid SASL mechanism");
        return;
      }
      login_->sasl_started = true;
      auto r = login_->scram->handle_client_first(init->data);
      if (!r) {
        fatal(sqlstate::kProtocolViolation, "malformed SCRAM message: " + r.error().message);
        return;
      }
      std::string out;
      protocol::append_auth_sasl_continue(out, r.value());
      send_local(out);
      return;
    }
    auto r = login_->scram->handle_client_final(body);
    if (!r || !login_->user_known) {
      auth_failed();
      return;
    }
    if (auth::secret_kind(login_->secret) == auth::SecretKind::Scram &&
        login_->scram->client_key()) {
      // Remember the client's keys so servers can be logged in without a password.
      login_->scram_client_key = *login_->scram->client_key();
      login_->scram_server_key = login_->scram->server_key();
    }
    // SASLFinal travels with AuthenticationOk and the welcome: one send, one wake-up.
    protocol::append_auth_sasl_final(login_->reply, r.value());
    login_->scram.reset();
    auth_succeeded();
    return;
  }
  auto password = protocol::parse_cstring_body(body);
  if (!password) {
    fatal(sqlstate::kProtocolViolation, "malformed password message");
    return;
  }
  bool ok = false;
  if (login_->user_known) {
    if (login_->method == config::AuthType::Plain) {
      switch (auth::secret_kind(login_->secret)) {
        case auth::SecretKind::Plain:
          ok = auth::constant_time_equals(*password, login_->secret);
          break;
        case auth::SecretKind::Md5:
          ok = auth::constant_time_equals(auth::md5_secret(*password, user_name_), login_->secret);
          break;
        case auth::SecretKind::Scram: {
          auto stored = auth::parse_scram_secret(login_->secret);
          if (stored) {
            auto mine = pooler_.scram_cache().secret(*password, stored->salt, stored->iterations);
            ok = auth::constant_time_equals(auth::as_view(mine.stored_key),
                                            auth::as_view(stored->stored_key));
          }
          break;
        }
      }
    } else {
      ok =
          auth::verify_md5_response(login_->secret, user_name_, login_->md5_salt.data(), *password);
    }
  }
  if (!ok) {
    auth_failed();
    return;
  }
  auth_succeeded();
}

void ClientConnection::auth_failed() {
  refuse_login(sqlstate::kInvalidPassword,
               "password authentication failed for user \"" + user_name_ + "\"");
}

void ClientConnection::refuse_login(const char* sqlstate, const std::string& message) {
  const std::string addr = address_.to_string();
  LogContext ctx{"login_failed", db_name_, user_name_, addr, this};
  POOLER_LOG_EVENT(pooler_.log(), LogLevel::kWarning, ctx, "%s %s", label().c_str(),
                   message.c_str());
  fatal(sqlstate, message);
}

void ClientConnection::auth_succeeded() {
  const std::unique_ptr<LoginState> login = std::move(login_);
  // On every path but the immediate welcome, what the login owes goes out first.
  auto send_owed_reply = [&] {
    if (!login->reply.empty()) send_local(login->reply);
  };
  pooler_.login_done(this);
  const config::Settings& s = pooler_.settings();
  if (is_admin_) {
    send_owed_reply();
    if (takeover_peer_ || listed(s.admin_users, user_name_)) {
      stats_only_ = false;
    } else if (listed(s.stats_users, user_name_)) {
      stats_only_ = true;
    } else {
      fatal(sqlstate::kInsufficientPrivilege,
            "not allowed: user \"" + user_name_ + "\" is not in admin_users or stats_users");
      return;
    }
    state_ = State::kAdmin;
    pooler_.admin().send_welcome(*this);
    return;
  }
  Database* db = pooler_.find_database(db_name_);
  if (!db) {
    send_owed_reply();
    fatal(sqlstate::kInvalidCatalogName, "no such database: " + db_name_);
    return;
  }
  pool_ = &pooler_.pool_for(*db, user_name_);
  // What this login proved lets servers log in as the user: auth_query's secret belongs to
  // this database's pool (unless the database forces another server user), auth_file's to
  // the user everywhere.
  Credentials* creds = nullptr;
  if (login->from_auth_query) {
    if (pool_->user().name == user_name_) {
      pool_->set_auth_query_secret(login->secret);
      creds = &pool_->server_credentials();
    }
  } else {
    creds = &pooler_.user_for_pool(user_name_).credentials;
  }
  if (creds && login->scram_client_key) {
    creds->scram_client_key = login->scram_client_key;
    creds->scram_server_key = login->scram_server_key;
  }
  cancel_key_ = pooler_.cancel_keys().issue(this);
  has_cancel_key_ = true;
  if (pool_->has_welcome()) {
    send_welcome(login->reply);
  } else {
    send_owed_reply();
    pool_->wait_for_welcome(this);
  }
}

void ClientConnection::send_welcome(std::string_view prefix) {
  params_.fill_missing_from(pool_->server_defaults());
  std::string out(prefix);
  protocol::append_auth_ok(out);
  for (const auto& [name, value] : pool_->welcome_params()) {
    auto tracked = tracked_param_by_name(name);
    protocol::append_parameter_status(out, name, tracked ? params_.get(*tracked) : value);
  }
  protocol::append_backend_key_data(out, cancel_key_.pid, cancel_key_.secret);
  protocol::append_ready_for_query(out, 'I');
  state_ = State::kIdle;
  pool_->add_active_client(this);
  pooler_.store_connection(*this, "client");
  if (!send_local(out)) {
    pooler_.close_client(this, "could not send welcome");
    return;
  }
  process_input();
}

void ClientConnection::handle_cancel(uint32_t pid, uint32_t key) {
  ClientConnection* target = pooler_.cancel_keys().find({pid, key});
  if (target && target->server_) {
    POOLER_LOG(pooler_.log(), LogLevel::kLog, "%s cancel request forwarded to S-%p",
               target->label().c_str(), static_cast<void*>(target->server_));
    pooler_.forward_cancel(*target->server_);
  } else {
    POOLER_LOG(pooler_.log(), LogLevel::kDebug,
               "C-%p: cancel request for an unknown or idle client", static_cast<void*>(this));
  }
  pooler_.close_client(this, "cancel request handled");
}

void ClientConnection::adopt(const takeover::ConnectionRecord& r, Pool& pool) {
  user_name_ = r.user;
  db_name_ = r.database;
  pool_ = &pool;
  set_params_from_record(params_, r);
  // The client keeps the cancel key it was given; only if it collides, it gets none.
  cancel_key_ = {r.cancel_pid(), r.cancel_key()};
  has_cancel_key_ = pooler_.cancel_keys().insert(cancel_key_, this);
  counted_ = true;
  pooler_.client_counted(true);
  state_ = State::kIdle;
  pool.add_active_client(this);
}

void ClientConnection::on_server_linked(ServerConnection* server) {
  server_ = server;
  state_ = State::kActive;
}

void ClientConnection::on_server_ready() {
  start_reading();
  forward_to_server();
  start_reading();  // suspended: reading may be allowed only now that a query is in flight
}

void ClientConnection::on_server_released() {
  server_ = nullptr;
  if (state_ == State::kActive) {
    state_ = State::kIdle;
    pool_->client_became_idle(this);
  }
  if (pooler_.shutting_down() && in_.empty()) {
    fatal(sqlstate::kAdminShutdown, "pooler is shutting down");
  }
}

bool ClientConnection::reading_allowed() const {
  // SUSPEND: clients' new bytes wait in the kernel, where they travel with the socket.
  // A client inside a transaction must still be read, or the transaction never ends.
  if (!pooler_.suspended() || is_admin_) return true;
  if (pooler_.rolling_handover() && !pooler_.rolling_parks_idle_clients()) return true;
  if (state_ == State::kStartup || state_ == State::kTlsHandshake || state_ == State::kAuthQuery ||
      state_ == State::kAuth) {
    return true;
  }
  // Transaction pooling: a linked client is mid-transaction by definition. Session pooling:
  // only until its server is back at a boundary.
  return state_ == State::kActive && server_ != nullptr &&
         (pool_->mode() != config::PoolMode::Session ||
          !server_->at_transaction_boundary_after_scan());
}

void ClientConnection::on_source_drained() {
  // Our bytes all reached the server.
  start_reading();
  process_input();
}

void ClientConnection::forward_to_server() {
  ServerConnection* server = server_;
  if (!server || server->state() != ServerConnection::State::kLinked) return;
  const uint32_t max_len = pooler_.max_message_length();
  while (ready_ < in_.size()) {
    if (take_streamed_bytes()) continue;
    Frame f = protocol::next_frame(in_.data() + ready_, in_.size() - ready_, max_len);
    if (f.status == Frame::Status::kIncomplete) break;
    if (f.status == Frame::Status::kInvalid) {
      fatal(sqlstate::kProtocolViolation, std::string("invalid message from client: ") + f.error);
      return;
    }
    if (f.type == 'X') {
      if (ready_ == 0) {
        pooler_.close_client(this, "client close request");
        return;
      }
      break;  // send what precedes it first
    }
    if (f.type == 'Q' && pooler_.settings().disable_pqexec) {
      // Several statements in one Query message are what SQL injection relies on.
      fatal(sqlstate::kProtocolViolation, "PQexec disallowed (disable_pqexec)");
      return;
    }
    if (server->tracks_statements()) {
      Tracked t = track_statements(*server, f);
      if (t == Tracked::kClosed) return;
      if (t == Tracked::kWait) break;
      if (t == Tracked::kHandled) continue;
    }
    server->note_client_message(f.type);
    take_message(f.size());
  }
  if (ready_ == 0) return;
  // Bytes pooler added wait in the server's output: ours follow once they are out.
  if (server->has_pending_output()) return;
  FlushResult r = flush_ready_to(*server);
  if (r == FlushResult::kBlocked) {
    stop_reading();
  } else if (r == FlushResult::kError) {
    server->fail("write to server failed");
  } else if (!in_.empty() && stream_remaining_ == 0) {
    forward_to_server();  // an 'X' may wait behind what we just sent
  }
}

ClientStatements& ClientConnection::statements() {
  if (!statements_) statements_ = std::make_unique<ClientStatements>();
  return *statements_;
}

ClientConnection::Tracked ClientConnection::track_statements(ServerConnection& server, Frame& f) {
  const size_t avail = in_.size() - ready_;
  std::string_view message(reinterpret_cast<const char*>(in_.data()) + ready_,
                           std::min(avail, f.size()));
  protocol::StatementRef ref = protocol::statement_ref(message, f.size());
  switch (ref.status) {
    case protocol::StatementRef::Status::kUnnamed:
      note_unnamed_message(f.type, server.pending_responses());
      return Tracked::kForward;
    case protocol::StatementRef::Status::kInvalid:
      fatal(sqlstate::kProtocolViolation,
            std::string("invalid message from client: malformed statement name in message type ") +
                f.type);
      return Tracked::kClosed;
    case protocol::StatementRef::Status::kIncomplete:
      if (avail >= 1024) {
        fatal(sqlstate::kProtocolViolation, "invalid message from client: statement name too long");
        return Tracked::kClosed;
      }
      return Tracked::kWait;
    case protocol::StatementRef::Status::kNamed:
      break;
  }
  if (f.type == 'P' && f.size() > avail) {
    if (f.size() > in_.capacity()) {
      fatal(sqlstate::kProgramLimitExceeded, "prepared statement of " + std::to_string(f.size()) +
                                                 " bytes exceeds what pooler can track (" +
                                                 std::to_string(in_.capacity()) +
                                                 " bytes, pkt_buf)");
      return Tracked::kClosed;
    }
    return Tracked::kWait;  // a named Parse is read whole: its text names the statement
  }
  std::string& inject = pooler_.inject_scratch();
  inject.clear();
  RouteContext ctx{statements(), server.statements(), server.pending_responses(),
                   pooler_.statement_registry(),
                   static_cast<size_t>(std::max(1, pooler_.settings().max_prepared_statements))};
  Route route = route_named_message(message, ref, ctx, inject);
  if (!route.drop && !route.rename && inject.empty()) return Tracked::kForward;

  // Rewrite in place when the block has room: the bytes still go out in one send.
  const std::string_view new_name =
      route.rename ? std::string_view(route.rename->server_name) : std::string_view();
  const size_t growth =
      route.drop ? (inject.size() > f.size() ? inject.size() - f.size() : 0)
                 : inject.size() +
                       (new_name.size() > ref.name.size() ? new_name.size() - ref.name.size() : 0);
  if (growth > in_.space() + in_.offset()) {
    return move_to_server_output(server, inject, f, ref, route) ? Tracked::kHandled
                                                                : Tracked::kClosed;
  }
  if (route.drop) {
    in_.splice(ready_, f.size(), inject.data(), inject.size());
    ready_ += inject.size();
    return Tracked::kHandled;
  }
  if (route.rename) {
    in_.splice(ready_ + ref.name_offset, ref.name.size(), new_name.data(), new_name.size());
    protocol::store_be32(reinterpret_cast<char*>(const_cast<uint8_t*>(in_.data())) + ready_ + 1,
                         static_cast<uint32_t>(f.length + new_name.size() - ref.name.size()));
  }
  in_.splice(ready_, 0, inject.data(), inject.size());
  ready_ += inject.size();
  f = protocol::next_frame(in_.data() + ready_, in_.size() - ready_, pooler_.max_message_length());
  return Tracked::kForward;
}

bool ClientConnection::move_to_server_output(ServerConnection& server, const std::string& inject,
                                             const Frame& f, const protocol::StatementRef& ref,
                                             const Route& route) {
  // The block is full: what precedes the message, the added messages and the rewritten
  // start of the message go through the server's own output, in that order.
  const auto* bytes = reinterpret_cast<const char*>(in_.data());
  const char* message = bytes + ready_;
  bool ok = server.send_local(std::string_view(bytes, ready_)) && server.send_local(inject);
  in_.consume(ready_);
  ready_ = 0;
  if (route.drop) {
    in_.consume(f.size());
    if (!ok) server.fail("write to server failed");
    return ok;
  }
  const size_t head = ref.name_offset + ref.name.size() + 1;  // through the name's NUL
  if (route.rename) {
    const std::string& name = route.rename->server_name;
    std::string header(message, ref.name_offset);
    protocol::store_be32(header.data() + 1,
                         static_cast<uint32_t>(f.length + name.size() - ref.name.size()));
    header.append(name);
    header.push_back('\0');
    ok = ok && server.send_local(header);
    in_.consume(head);
    stream_remaining_ = static_cast<uint32_t>(f.size() - head);
  }
  server.note_client_message(f.type);
  if (!route.rename) take_message(f.size());
  if (!ok) server.fail("write to server failed");
  return ok;
}

void ClientConnection::process_admin_input() {
  while (!closing_ && state_ == State::kAdmin) {
    Frame f = protocol::next_frame(in_.data(), in_.size(), 1 << 20);
    if (f.status == Frame::Status::kIncomplete) break;
    if (f.status == Frame::Status::kInvalid) {
      fatal(sqlstate::kProtocolViolation, std::string("invalid message from client: ") + f.error);
      return;
    }
    if (f.size() > in_.size()) {
      if (f.size() > in_.capacity()) {
        fatal(sqlstate::kProtocolViolation, "admin console command too long");
        return;
      }
      in_.compact();
      break;
    }
    std::string body(reinterpret_cast<const char*>(in_.data()) + 5, f.body_size());
    in_.consume(f.size());
    if (f.type == 'X') {
      pooler_.close_client(this, "admin client close request");
      return;
    }
    if (f.type != 'Q') {
      fatal(sqlstate::kFeatureNotSupported,
            "the admin console supports only the simple query protocol");
      return;
    }
    auto sql = protocol::parse_cstring_body(body);
    if (!sql) {
      fatal(sqlstate::kProtocolViolation, "malformed Query message");
      return;
    }
    pooler_.admin().handle_query(*this, *sql);
    if (admin_waiting_) break;  // PAUSE / WAIT_CLOSE answer later
  }
  if (!closing_) release_buffer_if_idle();
}

}  // namespace pooler::pool
