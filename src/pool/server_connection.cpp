#include "pool/server_connection.h"

#include <cstring>

#include "auth/md5.h"
#include "auth/scram_client.h"
#include "auth/scram_server.h"
#include "auth/userlist.h"
#include "pool/client_connection.h"
#include "pool/pool.h"
#include "pool/pooler.h"
#include "pool/server_address.h"
#include "protocol/backend_messages.h"
#include "protocol/frame.h"
#include "protocol/message_builder.h"
#include "protocol/sqlstate.h"

namespace pooler::pool {

using protocol::Frame;

namespace {
uint64_t micros_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(b - a).count());
}
}  // namespace

ServerConnection::ServerConnection(Pooler& pooler, Socket socket, Pool& pool)
    : Connection(pooler, std::move(socket)), pool_(&pool), last_used_(Clock::now()) {}

ServerConnection::~ServerConnection() = default;

const char* ServerConnection::state_name() const {
  switch (state_) {
    case State::kConnecting:
    case State::kTlsRequest:
    case State::kTlsHandshake:
    case State::kLogin:
      return "login";
    case State::kIdle:
      return "idle";
    case State::kLinked:
      return "active";
    case State::kSetup:
      return "active";
    case State::kReset:
    case State::kAuthQuery:
      return "used";
    case State::kClosing:
      return "closing";
  }
  return "unknown";
}

void ServerConnection::start_connect(bool in_progress) {
  state_ = State::kConnecting;
  if (in_progress) {
    want_write();  // writability tells us the connect finished
  } else {
    on_connected();
  }
}

void ServerConnection::adopt(const takeover::ConnectionRecord& r) {
  address_ = peer_address_of(fd());
  backend_pid_ = r.cancel_pid();
  backend_key_ = r.cancel_key();
  set_params_from_record(params_, r);
  state_ = State::kIdle;
  last_used_ = Clock::now();
  start_reading();
}

void ServerConnection::adopt_link(ClientConnection* client) {
  client_ = client;
  state_ = State::kLinked;
  pool_->server_linked(this);
  client->on_server_linked(this);
}

void ServerConnection::on_connected() {
  int err = pending_connect_error(fd());
  if (err != 0) {
    fail(strerror(err));
    return;
  }
  address_ = peer_address_of(fd());
  const auto& tls = pooler_.server_tls();
  if (tls && address_.host != "unix") {  // as libpq: no TLS over a Unix socket
    state_ = State::kTlsRequest;
    std::string request;
    protocol::append_ssl_request(request);
    start_reading();
    if (!send_local(request)) fail("could not send SSLRequest");
    return;
  }
  send_startup();
}

void ServerConnection::read_tls_answer() {
  // One byte only: whatever follows an 'S' belongs to the TLS handshake, and anything a
  // server sent before the handshake must not count as protected (CVE-2021-23222).
  char answer = 0;
  ssize_t n = ::recv(fd(), &answer, 1, 0);
  if (n == 0) {
    fail("server closed the connection after SSLRequest");
    return;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    fail(strerror(errno));
    return;
  }
  const auto& tls = pooler_.server_tls();
  if (answer == 'N') {
    if (tls && tls->required()) {
      fail(("server does not accept TLS (server_tls_sslmode = " +
            pooler_.settings().server_tls_sslmode + ")")
               .c_str());
      return;
    }
    send_startup();
    return;
  }
  if (answer != 'S' || !tls) {
    fail("server answered SSLRequest with neither S nor N");
    return;
  }
  tls_ = std::make_unique<tls::TlsStream>(tls, fd(), pool_->db().entry.host);
  if (!tls_->valid()) {
    fail(("TLS setup failed: " + tls_->error()).c_str());
    return;
  }
  state_ = State::kTlsHandshake;
  continue_tls_handshake();
}

void ServerConnection::continue_tls_handshake() {
  std::string why;
  switch (step_tls_handshake(why)) {
    case HandshakeStep::kDone:
      send_startup();
      return;
    case HandshakeStep::kPending:
      return;
    case HandshakeStep::kFailed:
      fail(("server " + why).c_str());
      return;
  }
}

void ServerConnection::send_startup() {
  state_ = State::kLogin;
  std::string out;
  std::vector<std::pair<std::string, std::string>> params = {
      {"user", pool_->user().name}, {"database", pool_->db().server_dbname()}};
  protocol::append_startup_message(out, params);
  start_reading();
  if (!send_local(out)) fail("could not send startup packet");
}

Connection* ServerConnection::forward_source() {
  if (state_ == State::kConnecting) {
    on_connected();
    return nullptr;
  }
  return (state_ == State::kLinked && client_) ? static_cast<Connection*>(client_) : nullptr;
}

void ServerConnection::on_readable() {
  if (state_ == State::kTlsRequest) {
    read_tls_answer();
    return;
  }
  if (state_ == State::kTlsHandshake) {
    continue_tls_handshake();
    return;
  }
  // Busy before the read, not after: a byte taken off the socket is lost if we die before
  // it reaches the client, and a server can speak between transactions (a notification, a
  // notice). Idle again once it all went out (settle_slot).
  const bool slotted = has_state_slot() || (client_ && client_->has_state_slot());
  if (slotted) pooler_.slot_busy(*this, true);
  ssize_t n = read_some();
  if (n == 0) {
    fail("server closed the connection");
    return;
  }
  if (n == -1) {
    fail(read_error().c_str());
    return;
  }
  if (n == -2 && in_.space() == 0 && ready_ == 0) {
    fail("server message does not fit the buffer");
    return;
  }
  process_input();
  if (slotted && !closing_) settle_slot();
}

void ServerConnection::settle_slot() {
  if (state_ == State::kLinked) {
    idle_mark_pending_ = true;
    mark_idle_once_flushed();
  } else if (state_ == State::kIdle && nothing_buffered()) {
    idle_mark_pending_ = false;  // pooler consumed whatever an idle server said
    pooler_.slot_busy(*this, false);
  }
}

void ServerConnection::process_input() {
  const uint32_t max_len = pooler_.max_message_length();
  while (!closing_) {
    if (state_ == State::kLinked) {
      forward_to_client();
      return;
    }
    if (in_.size() < protocol::kFrameHeaderSize) break;
    Frame f = protocol::next_frame(in_.data(), in_.size(), max_len);
    if (f.status == Frame::Status::kIncomplete) break;
    if (f.status == Frame::Status::kInvalid) {
      fail(f.error);
      return;
    }
    if (f.size() > in_.size()) {
      if (f.size() > in_.capacity()) {
        fail("server message too large for pooler's own handling");
        return;
      }
      in_.compact();
      break;
    }
    std::string_view body(reinterpret_cast<const char*>(in_.data()) + 5, f.body_size());
    bool ok = (state_ == State::kConnecting || state_ == State::kLogin)
                  ? handle_login_message(f.type, body)
                  : handle_internal_message(f.type, body);
    if (!ok || closing_) return;
    in_.consume(f.size());
  }
  if (!closing_) release_buffer_if_idle();
}

void ServerConnection::record_parameter(std::string_view name, std::string_view value) {
  params_.set(name, value);
  pooler_.slot_write(*this);
  if (client_ && (state_ == State::kLinked || state_ == State::kSetup)) {
    client_->params().set(name, value);
    pooler_.slot_write(*client_);
  }
}

bool ServerConnection::handle_login_message(char type, std::string_view body) {
  switch (type) {
    case 'R': {
      auto req = protocol::parse_authentication(body);
      if (!req) {
        fail("malformed authentication request from server");
        return false;
      }
      if (req->code == 0) return true;  // AuthenticationOk
      return send_password(req->payload, req->code);
    }
    case 'S': {
      auto ps = protocol::parse_parameter_status(body);
      if (ps) {
        params_.set(ps->first, ps->second);
        all_params_.emplace_back(ps->first, ps->second);
      }
      return true;
    }
    case 'K': {
      auto key = protocol::parse_backend_key_data(body);
      if (key) {
        backend_pid_ = key->first;
        backend_key_ = key->second;
      }
      return true;
    }
    case 'E': {
      auto err = protocol::parse_error_fields(body);
      std::string msg = err ? std::string(err->message) : "login failed";
      const char* code = protocol::sqlstate::kConnectionFailure;
      if (err && err->sqlstate == protocol::sqlstate::kInvalidPassword) {
        code = protocol::sqlstate::kInvalidPassword;
      }
      POOLER_LOG(pooler_.log(), LogLevel::kWarning, "S-%p: %s/%s@%s login failed: %s",
                 static_cast<void*>(this), pool_->db().name.c_str(), pool_->user().name.c_str(),
                 address_.to_string().c_str(), msg.c_str());
      Pool* pool = pool_;
      pooler_.close_server(this, "login failed");
      pool->server_login_failed(this, msg, code);
      return false;
    }
    case 'Z': {
      state_ = State::kIdle;
      scram_.reset();
      last_used_ = Clock::now();
      if (pooler_.settings().log_connections) {
        const std::string addr = address_.to_string();
        LogContext ctx{"server_connect", pool_->db().name, pool_->user().name, addr, this};
        POOLER_LOG_EVENT(pooler_.log(), LogLevel::kLog, ctx,
                         "S-%p: %s/%s@%s new connection to server", static_cast<void*>(this),
                         pool_->db().name.c_str(), pool_->user().name.c_str(),
                         address_.to_string().c_str());
      }
      pool_->server_logged_in(this);
      pooler_.store_connection(*this, "server");
      const std::string& cq = pool_->db().entry.connect_query;
      if (!cq.empty()) {
        connect_query_pending_ = true;
        state_ = State::kReset;
        pool_->server_resetting(this);
        std::string out;
        protocol::append_query(out, cq);
        if (!send_local(out)) fail("could not send connect_query");
        return true;
      }
      pool_->server_idle(this);
      return true;
    }
    default:
      return true;  // NoticeResponse, NegotiateProtocolVersion: nothing to do
  }
}

bool ServerConnection::send_password(std::string_view payload, int32_t code) {
  const config::DatabaseEntry& entry = pool_->db().entry;
  const PoolUser& user = pool_->user();
  const Credentials& creds = pool_->server_credentials();
  // A password on the [databases] line wins; otherwise auth_file's or auth_query's secret.
  std::string secret = (!entry.password.empty()) ? entry.password : creds.secret;
  auth::SecretKind kind = auth::secret_kind(secret);
  std::string out;
  switch (code) {
    case 3:  // cleartext
      if (secret.empty() || kind != auth::SecretKind::Plain) {
        fail("server asks for a cleartext password but only a hashed secret is known");
        return false;
      }
      protocol::append_password_message(out, secret);
      break;
    case 5: {  // md5
      if (payload.size() != 4) {
        fail("malformed md5 salt from server");
        return false;
      }
      std::string md5;
      if (kind == auth::SecretKind::Md5) {
        md5 = secret;
      } else if (kind == auth::SecretKind::Plain && !secret.empty()) {
        md5 = auth::md5_secret(secret, user.name);
      } else {
        fail("server asks for md5 but the user's secret is a SCRAM secret");
        return false;
      }
      protocol::append_password_message(
          out, auth::md5_response(md5, reinterpret_cast<const uint8_t*>(payload.data())));
      break;
    }
    case 10: {  // SASL
      auto mechs = protocol::parse_sasl_mechanisms(payload);
      bool has_scram = false;
      if (mechs) {
        for (auto m : *mechs) has_scram |= (m == "SCRAM-SHA-256");
      }
      if (!has_scram) {
        fail("server offers no SASL mechanism pooler supports");
        return false;
      }
      if (kind == auth::SecretKind::Plain && !secret.empty()) {
        scram_ = std::make_unique<auth::ScramClient>(auth::ScramClient::with_password(secret));
      } else if (kind == auth::SecretKind::Scram && creds.scram_client_key &&
                 creds.scram_server_key) {
        scram_ = std::make_unique<auth::ScramClient>(
            auth::ScramClient::with_keys(*creds.scram_client_key, *creds.scram_server_key));
      } else {
        fail(kind == auth::SecretKind::Scram
                 ? "SCRAM pass-through needs a client to log in with SCRAM first"
                 : "no usable password for SCRAM login to the server");
        return false;
      }
      protocol::append_sasl_initial_response(out, "SCRAM-SHA-256", scram_->client_first_message());
      break;
    }
    case 11: {  // SASL continue
      if (!scram_) {
        fail("unexpected SASL continue from server");
        return false;
      }
      auto r = scram_->handle_server_first(payload, &pooler_.scram_cache());
      if (!r) {
        fail(r.error().message.c_str());
        return false;
      }
      protocol::append_sasl_response(out, r.value());
      break;
    }
    case 12: {  // SASL final
      if (!scram_) {
        fail("unexpected SASL final from server");
        return false;
      }
      auto r = scram_->verify_server_final(payload);
      if (!r) {
        fail(r.error().message.c_str());
        return false;
      }
      return true;
    }
    default:
      fail("server asks for an authentication method pooler does not support");
      return false;
  }
  if (!send_local(out)) {
    fail("could not send password");
    return false;
  }
  return true;
}

bool ServerConnection::handle_internal_message(char type, std::string_view body) {
  if (state_ == State::kAuthQuery && type != 'S' && type != 'N' && type != 'A') {
    return handle_auth_query_message(type, body);
  }
  switch (type) {
    case 'S': {
      auto ps = protocol::parse_parameter_status(body);
      if (ps) record_parameter(ps->first, ps->second);
      return true;
    }
    case 'E': {
      auto err = protocol::parse_error_fields(body);
      std::string msg = err ? std::string(err->message) : "error";
      if (state_ == State::kIdle) {
        // An idle server only speaks when it is going away (terminated, shutdown).
        pooler_.close_server(this, ("server error while idle: " + msg).c_str());
        return false;
      }
      POOLER_LOG(pooler_.log(), LogLevel::kWarning, "S-%p: %s/%s@%s pooler query failed: %s",
                 static_cast<void*>(this), pool_->db().name.c_str(), pool_->user().name.c_str(),
                 address_.to_string().c_str(), msg.c_str());
      if (state_ == State::kSetup && client_) {
        // The client asked for a value the server refuses: adopt the server's, or the
        // same SET would be retried on every transaction.
        client_->params() = params_;
      }
      return true;
    }
    case 'Z':
      if (state_ == State::kSetup) {
        finish_setup();
        return true;
      }
      if (state_ == State::kReset) {
        connect_query_pending_ = false;
        state_ = State::kIdle;
        last_used_ = Clock::now();
        pooler_.slot_write(*this);  // idle again, linked to nobody
        pool_->server_idle(this);
        return true;
      }
      pooler_.close_server(this, "unexpected ReadyForQuery from idle server");
      return false;
    case 'N':
    case 'A':
    case 'C':
    case 'T':
    case 'D':
    case 'I':
    case '1':
    case '2':
    case '3':
    case 'n':
    case 's':
      if (state_ == State::kIdle && type != 'N' && type != 'A') {
        pooler_.close_server(this, "unexpected data from idle server");
        return false;
      }
      return true;
    default:
      if (state_ == State::kIdle) {
        pooler_.close_server(this, "unexpected data from idle server");
        return false;
      }
      return true;
  }
}

void ServerConnection::link(ClientConnection* client) {
  client_ = client;
  last_used_ = Clock::now();
  pending_ready_ = 0;
  unsynced_ = false;
  // A session keeps its server: its statements are the server's own, untouched.
  tracking_ =
      pool_->mode() != config::PoolMode::Session && pooler_.settings().max_prepared_statements > 0;
  pending_.clear();
  std::string sync = ParameterSet::sync_query(client->params(), params_);
  pool_->server_linked(this);
  if (!sync.empty()) {
    state_ = State::kSetup;
    pooler_.slot_busy(*this, true);  // the answer to the sync is on its way
    std::string out;
    protocol::append_query(out, sync);
    client->on_server_linked(this);
    if (!send_local(out)) fail("could not send parameter sync");
    return;
  }
  state_ = State::kLinked;
  client->on_server_linked(this);
  if (pool_->mode() == config::PoolMode::Session) {
    pooler_.slot_write(*this);  // the link itself is state in session mode
    pooler_.slot_write(*client);
  }
  client->on_server_ready();
}

void ServerConnection::finish_setup() {
  state_ = State::kLinked;
  if (client_ && pool_->mode() == config::PoolMode::Session) {
    // The link itself is state in session mode (as in link()); the sync's answer may have
    // carried no ParameterStatus that would have written it.
    pooler_.slot_write(*this);
    pooler_.slot_write(*client_);
  }
  if (client_) client_->on_server_ready();
}

void ServerConnection::note_client_message(char type) {
  if ((has_state_slot() || (client_ && client_->has_state_slot())) &&
      at_transaction_boundary_after_scan()) {
    // Leaving a boundary: after a crash now, neither side can be trusted.
    pooler_.slot_busy(*this, true);
    if (client_) pooler_.slot_busy(*client_, true);
  }
  switch (type) {
    case 'Q':
    case 'F':
      if (pending_ready_ == 0) query_start_ = Clock::now();
      if (pending_ready_ == 0 && tx_status_ == 'I') xact_start_ = query_start_;
      ++pending_ready_;
      break;
    case 'S':
      if (pending_ready_ == 0 && !unsynced_) query_start_ = Clock::now();
      ++pending_ready_;
      unsynced_ = false;
      break;
    case 'P':
    case 'B':
    case 'D':
    case 'E':
    case 'C':
    case 'H':
      if (!unsynced_ && pending_ready_ == 0) {
        query_start_ = Clock::now();
        if (tx_status_ == 'I') xact_start_ = query_start_;
      }
      unsynced_ = true;
      break;
    default:
      break;
  }
}

void ServerConnection::forward_to_client() {
  ClientConnection* client = client_;
  if (!client) return;
  const uint32_t max_len = pooler_.max_message_length();
  bool statement_violation = false;
  // What a skipped or failed message would have prepared does not exist.
  auto undo = [this, client](const PendingResponses::Entry& e) {
    if (e.prepared_id != 0) statements_.erase(e.prepared_id);
    if (!e.client_name.empty()) client->statements().erase(e.client_name);
  };
  for (;;) {
    const size_t before = ready_;
    bool swallow_next = false;
    while (ready_ < in_.size()) {
      if (take_streamed_bytes()) continue;
      const size_t avail = in_.size() - ready_;
      Frame f = protocol::next_frame(in_.data() + ready_, avail, max_len);
      if (f.status == Frame::Status::kIncomplete) break;
      if (f.status == Frame::Status::kInvalid) {
        fail(f.error);
        return;
      }
      if (tracking_ && (f.type == '1' || f.type == '3' || f.type == 'E')) {
        if (f.type == 'E') {
          pending_.skip_to_sync(undo);
        } else {
          const PendingResponses::Entry* e = pending_.front_for(f.type);
          if (!e || f.length != 4) {
            fail("server reply out of step with the messages sent (prepared statement tracking)");
            return;
          }
          if (e->swallow) {
            if (ready_ > 0) {
              swallow_next = true;  // send what precedes it first
              break;
            }
            pending_.pop();
            in_.consume(f.size());
            continue;
          }
          pending_.pop();
        }
      }
      if (f.type == 'Z' || f.type == 'S') {
        if (f.size() > avail) {
          if (f.size() > in_.capacity()) {
            fail("server message too large");
            return;
          }
          break;  // wait for the rest; read_some compacts when the buffer fills
        }
        std::string_view body(reinterpret_cast<const char*>(in_.data()) + ready_ + 5,
                              f.body_size());
        if (f.type == 'S') {
          auto ps = protocol::parse_parameter_status(body);
          if (ps) record_parameter(ps->first, ps->second);
          ready_ += f.size();
          continue;
        }
        auto status = protocol::parse_ready_for_query(body);
        if (!status) {
          fail("malformed ReadyForQuery from server");
          return;
        }
        const auto now = Clock::now();
        Stats& stats = pool_->db().stats;
        if (pending_ready_ > 0) --pending_ready_;
        stats.query_count++;
        stats.query_time_us += micros_between(query_start_, now);
        if (*status == 'I' && tx_status_ != 'I') {
          stats.xact_count++;
          stats.xact_time_us += micros_between(xact_start_, now);
        } else if (*status == 'I' && pending_ready_ == 0) {
          stats.xact_count++;  // an autocommit statement is a transaction of its own
          stats.xact_time_us += micros_between(query_start_, now);
        }
        tx_status_ = *status;
        query_start_ = now;
        if (tracking_) pending_.complete_sync(undo);
        if (*status != 'I' && pool_->mode() == config::PoolMode::Statement) {
          statement_violation = true;  // do not forward this ReadyForQuery
          break;
        }
        ready_ += f.size();
        if ((has_state_slot() || client->has_state_slot()) &&
            at_transaction_boundary_after_scan()) {
          idle_mark_pending_ = true;  // not before the client has every byte of the answer
        }
        if (pool_->mode() != config::PoolMode::Session && at_transaction_boundary_after_scan() &&
            client->at_message_boundary()) {
          release_pending_ = true;
          break;
        }
        if (fast_close_due()) {
          fast_close_pending_ = true;
          break;
        }
        continue;
      }
      take_message(f.size());
    }
    pool_->db().stats.bytes_sent += ready_ - before;
    if (ready_ > 0) {
      FlushResult r = flush_ready_to(*client);
      if (r == FlushResult::kBlocked) {
        stop_reading();
        return;
      }
      if (r == FlushResult::kError) {
        pooler_.close_client(client, "client write failed");
        return;
      }
    }
    if (!swallow_next) break;
  }
  if (statement_violation) {
    client->fatal(protocol::sqlstate::kFeatureNotSupported,
                  "transaction blocks not allowed in statement pooling mode");
    return;
  }
  mark_idle_once_flushed();
  if (fast_close_pending_) {
    fast_close();
    return;
  }
  if (release_pending_) release_after_boundary();
}

void ServerConnection::mark_idle_once_flushed() {
  // Crash-safe slots may say "idle" only when no byte of either side is in our buffers:
  // a process adopting these sockets could not deliver or parse them.
  if (!idle_mark_pending_ || !client_ || !nothing_buffered() || !client_->nothing_buffered() ||
      !at_transaction_boundary_after_scan()) {
    return;
  }
  idle_mark_pending_ = false;
  pooler_.slot_busy(*this, false);
  pooler_.slot_busy(*client_, client_->holds_statements());
}

void ServerConnection::on_source_drained() {
  // Our bytes all reached the client (we were the source).
  start_reading();
  mark_idle_once_flushed();
  if (fast_close_pending_) {
    fast_close();
    return;
  }
  if (release_pending_) {
    release_after_boundary();
    return;
  }
  process_input();
}

void ServerConnection::set_close_needed() {
  close_needed_ = true;
  if (state_ == State::kLinked && ready_ == 0 && fast_close_due()) fast_close();
}

bool ServerConnection::fast_close_due() const {
  return close_needed_ && client_ && pooler_.settings().server_fast_close &&
         pool_->mode() == config::PoolMode::Session && at_transaction_boundary_after_scan() &&
         client_->at_message_boundary();
}

void ServerConnection::fast_close() {
  fast_close_pending_ = false;
  // The client's session lives on this server: it ends too, with a reason drivers know
  // to reconnect on. Closing the client closes us (close_needed).
  if (client_) {
    client_->fatal(protocol::sqlstate::kAdminShutdown,
                   "terminating connection: its server is being replaced (server_fast_close)");
  }
}

void ServerConnection::on_client_data() {
  if (state_ != State::kLinked || !client_) return;
}

void ServerConnection::release_after_boundary() {
  release_pending_ = false;
  tracking_ = false;
  pending_.clear();
  ClientConnection* client = client_;
  client_ = nullptr;
  state_ = State::kIdle;
  last_used_ = Clock::now();
  // In the pool with nothing buffered: a place to resume from, whatever its last client
  // still had queued.
  idle_mark_pending_ = false;
  if (nothing_buffered()) pooler_.slot_busy(*this, false);
  if (client) client->on_server_released();
  if (closing_) return;
  if (pooler_.settings().server_reset_query_always &&
      !pooler_.settings().server_reset_query.empty()) {
    run_reset_query();
  } else {
    pool_->server_idle(this);
  }
  if (client && !client->closing()) client->process_input();
  if (!closing_ && state_ != State::kLinked && !in_.empty()) process_input();
}

void ServerConnection::unlink_and_reset(bool run_reset) {
  client_ = nullptr;
  idle_mark_pending_ = false;
  release_pending_ = false;
  tracking_ = false;
  pending_.clear();
  if (run_reset && !pooler_.settings().server_reset_query.empty()) {
    run_reset_query();
  } else {
    state_ = State::kIdle;
    last_used_ = Clock::now();
    // A session server's slot names its client: it serves nobody now.
    if (pool_->mode() == config::PoolMode::Session) pooler_.slot_write(*this);
    pool_->server_idle(this);
  }
}

void ServerConnection::run_reset_query() {
  run_query(pooler_.settings().server_reset_query);
}

void ServerConnection::run_query(const std::string& sql) {
  // A reset query may deallocate statements (DISCARD ALL); forgetting them is safe, since a
  // statement is always closed before it is prepared again.
  statements_.clear();
  state_ = State::kReset;
  pooler_.slot_busy(*this, true);  // an answer is on its way: not a place to resume from
  pool_->server_resetting(this);
  std::string out;
  protocol::append_query(out, sql);
  if (!send_local(out)) fail("could not send pooler's own query");
}

void ServerConnection::run_auth_query(ClientConnection* client) {
  state_ = State::kAuthQuery;
  pooler_.slot_busy(*this, true);
  client_ = client;
  client->auth_query_started(this);
  auth_query_reply_ = std::make_unique<auth::AuthQueryReply>();
  pool_->server_resetting(this);
  std::string out;
  const std::string_view params[] = {client->user_name()};
  protocol::append_parameterized_query(out, pooler_.settings().auth_query, params);
  if (!send_local(out)) fail("could not send auth_query");
}

bool ServerConnection::handle_auth_query_message(char type, std::string_view body) {
  if (!auth_query_reply_->add(type, body)) return true;
  auth::AuthQueryReply reply = std::move(*auth_query_reply_);
  auth_query_reply_.reset();
  ClientConnection* client = client_;
  client_ = nullptr;
  if (!reply.error().empty()) {
    POOLER_LOG(pooler_.log(), LogLevel::kWarning, "S-%p: %s/%s@%s auth_query failed: %s",
               static_cast<void*>(this), pool_->db().name.c_str(), pool_->user().name.c_str(),
               address_.to_string().c_str(), reply.error().c_str());
  }
  state_ = State::kIdle;
  last_used_ = Clock::now();
  pooler_.slot_write(*this);  // idle again after the auth_query
  pool_->server_idle(this);   // first: the answer may log the client in and need a server
  if (client) client->on_auth_query_reply(reply);
  return !closing_;
}

void ServerConnection::fail(const char* reason) {
  if (closing_) return;
  Pool* pool = pool_;
  const bool was_logging_in = logging_in();
  std::string why = reason;
  pooler_.close_server(this, reason);
  if (was_logging_in) pool->server_login_failed(this, why, protocol::sqlstate::kConnectionFailure);
}

}  // namespace pooler::pool
