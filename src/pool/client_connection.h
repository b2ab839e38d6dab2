#pragma once
#include <array>
#include <memory>
#include <optional>
#include <string>

#include "auth/auth_query_reply.h"
#include "auth/scram_client.h"
#include "auth/scram_server.h"
#include "pool/cancel_key_map.h"
#include "pool/connection.h"
#include "pool/parameter_set.h"
#include "pool/prepared_statements.h"
#include "pool/statement_router.h"
#include "protocol/frame.h"
#include "protocol/startup.h"
#include "takeover/connection_record.h"

namespace pooler::admin {
class AdminConsole;
}

namespace pooler::pool {

class Pool;
class ServerConnection;

// One client of pooler: reads its startup packet, authenticates it against auth_file,
// then forwards its messages to whichever server its pool lends it.
class ClientConnection final : public Connection {
 public:
  enum class State : uint8_t {
    kStartup,       // waiting for the startup packet
    kTlsHandshake,  // answered an SSLRequest with 'S'; OpenSSL is shaking hands
    kAuthQuery,     // not in auth_file: auth_query looks up its secret in the database
    kAuth,          // challenge sent, waiting for the password / SASL messages
    kWelcomeWait,   // authenticated; waiting for the pool to learn server parameters
    kIdle,          // logged in, no server
    kWaiting,       // has a query, waiting for a server
    kActive,        // linked to server_
    kAdmin,         // talking to the admin console
    kClosing,
  };

  ClientConnection(Pooler& pooler, Socket socket, bool from_unix_socket, PeerAddress address);
  ~ClientConnection() override;

  State state() const { return state_; }
  // Between the startup packet and the welcome (as ServerConnection::logging_in).
  bool logging_in() const {
    return state_ == State::kStartup || state_ == State::kTlsHandshake ||
           state_ == State::kAuthQuery || state_ == State::kAuth || state_ == State::kWelcomeWait;
  }
  const char* state_name() const;
  Pool* pool() const { return pool_; }
  ServerConnection* server() const { return server_; }
  const std::string& user_name() const { return user_name_; }
  const std::string& db_name() const { return db_name_; }
  ParameterSet& params() { return params_; }
  const ParameterSet& params() const { return params_; }
  CancelKeyMap::Key cancel_key() const { return cancel_key_; }
  Clock::time_point request_time() const { return request_time_; }
  Clock::time_point last_activity() const { return last_activity_; }
  bool is_admin() const { return is_admin_; }
  bool is_stats_only() const { return stats_only_; }
  // Logged in as "pgbouncer" over the Unix socket by a process with our uid: the peer of
  // an online takeover, allowed SHOW FDS (PgBouncer's rule, so PgBouncer can take over).
  bool is_takeover_peer() const { return takeover_peer_; }
  bool from_unix_socket() const { return from_unix_socket_; }
  // Nothing buffered or half-sent in either direction.
  bool quiescent() const {
    return in_.empty() && out_.empty() && ready_ == 0 && stream_remaining_ == 0;
  }
  // Named prepared statements, kept here in transaction and statement pooling.
  ClientStatements& statements();
  const ClientStatements* statements_if_any() const { return statements_.get(); }
  bool holds_statements() const { return statements_ && !statements_->empty(); }
  std::string label() const;  // "C-0x55..: app/alice@127.0.0.1:5544" for log lines

  // Pool hands us a server (already linked on its side).
  void on_server_linked(ServerConnection* server);
  // Takeover: a logged-in client from the old process, with its cancel key and settings.
  void adopt(const takeover::ConnectionRecord& record, Pool& pool);
  // auth_query: `server` runs the lookup for us; then its answer arrives.
  void auth_query_started(ServerConnection* server);
  void on_auth_query_reply(const auth::AuthQueryReply& reply);
  // Going away while logging in: leave the auth_query queue, or let the server answer nobody.
  void abandon_auth_query();
  // The server finished the parameter sync: forward our buffered messages.
  void on_server_ready();
  // Transaction done (transaction/statement mode): server went back to the pool.
  void on_server_released();
  // Send AuthenticationOk, ParameterStatus..., BackendKeyData, ReadyForQuery.
  // `prefix`: bytes the login still owes the client, sent in the same write.
  void send_welcome(std::string_view prefix = {});
  // Send a FATAL ErrorResponse and close this client only.
  void fatal(const char* sqlstate, std::string_view message);
  void send_error(const char* sqlstate, std::string_view message);  // ERROR, keep open
  void resume_reading() { start_reading(); }
  // No message of ours is half-forwarded or waiting to be forwarded.
  bool at_message_boundary() const { return ready_ == 0 && stream_remaining_ == 0; }
  void process_input();

  ListNode pool_node;  // the pool's state list
  ListNode all_node;   // the Pooler's list of all clients or all servers

 protected:
  void on_readable() override;
  Connection* forward_source() override;
  void on_source_drained() override;
  bool reading_allowed() const override;

 private:
  void log_pooler_error(std::string_view message);  // PgBouncer's log_pooler_errors
  friend class Pool;
  friend class Pooler;
  friend class admin::AdminConsole;
  void set_admin_waiting(bool waiting) { admin_waiting_ = waiting; }
  bool admin_waiting() const { return admin_waiting_; }
  void settle_slot_after_empty_read();
  void handle_startup();
  bool handle_startup_packet(const protocol::StartupPacket& packet);
  void begin_auth();
  // Not in auth_file: true if auth_query will look the user up (the answer comes later).
  bool start_auth_query();
  // auth_type = hba: picks login_->method from the first matching rule. False if the
  // client was refused (no rule, or a reject rule).
  bool apply_hba();
  // Sends the challenge login_->method asks for, against login_->secret.
  void send_auth_request();
  // peer and cert: the identity the OS or the certificate vouches for must be the user's.
  void check_peer();
  void check_certificate();
  // A FATAL 28000 (or 28P01) with `message`, and the login_failed log line.
  void refuse_login(const char* sqlstate, const std::string& message);
  // SSLRequest: 'S' and the TLS handshake when client TLS is on, else 'N'. False when
  // parsing must stop (the handshake began, or the client was closed).
  bool begin_tls();
  void continue_tls_handshake();
  void handle_auth_message(char type, std::string_view body);
  void auth_failed();
  void auth_succeeded();
  void handle_cancel(uint32_t pid, uint32_t key);
  void forward_to_server();
  enum class Tracked : uint8_t { kForward, kWait, kHandled, kClosed };
  Tracked track_statements(ServerConnection& server, protocol::Frame& f);
  bool move_to_server_output(ServerConnection& server, const std::string& inject,
                             const protocol::Frame& f, const protocol::StatementRef& ref,
                             const Route& route);
  void process_admin_input();

  Pool* pool_ = nullptr;
  ServerConnection* server_ = nullptr;
  State state_ = State::kStartup;
  bool from_unix_socket_;
  bool is_admin_ = false;
  bool stats_only_ = false;
  bool counted_ = false;  // included in the max_client_conn count
  bool has_cancel_key_ = false;
  bool takeover_peer_ = false;
  bool admin_waiting_ = false;  // an admin command answers later (PAUSE, WAIT_CLOSE)
  // (The flags sit together: every idle client pays for the padding between members.)
  std::string user_name_;
  std::string db_name_;
  ParameterSet params_;
  CancelKeyMap::Key cancel_key_{};
  // Only while logging in: a logged-in client does not carry the secret it was checked with.
  struct LoginState {
    std::array<uint8_t, 4> md5_salt{};
    std::unique_ptr<auth::ScramServer> scram;
    std::string secret;  // the auth_file secret being checked (or a decoy for unknown users)
    bool user_known = false;
    bool sasl_started = false;
    bool from_auth_query = false;  // the secret came from auth_query, not auth_file
    config::AuthType method = config::AuthType::Md5;  // auth_type, or the HBA rule's
    Pool* auth_query_pool = nullptr;                  // the auth_user's pool, while waiting there
    ServerConnection* auth_query_server = nullptr;    // running our lookup
    // Learned from the client's SCRAM proof: lets servers log in as this user.
    std::optional<std::array<uint8_t, 32>> scram_client_key, scram_server_key;
    // Owed to the client ahead of what comes next (SASLFinal): sent with the welcome.
    std::string reply;
  };
  std::unique_ptr<LoginState> login_;
  std::unique_ptr<ClientStatements> statements_;  // none until the first named Parse
  Clock::time_point request_time_{};
  Clock::time_point last_activity_{};
};

}  // namespace pooler::pool
