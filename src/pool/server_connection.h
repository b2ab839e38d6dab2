#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/auth_query_reply.h"
#include "auth/scram_client.h"
#include "auth/scram_server.h"
#include "pool/connection.h"
#include "pool/parameter_set.h"
#include "pool/statement_router.h"
#include "takeover/connection_record.h"

namespace pooler::pool {

class ClientConnection;

// The four parameters PgBouncer's SHOW FDS columns carry, onto an adopted connection.
inline void set_params_from_record(ParameterSet& params, const takeover::ConnectionRecord& r) {
  if (!r.client_encoding.empty()) params.set(TrackedParam::kClientEncoding, r.client_encoding);
  if (!r.std_strings.empty()) params.set(TrackedParam::kStandardConformingStrings, r.std_strings);
  if (!r.datestyle.empty()) params.set(TrackedParam::kDateStyle, r.datestyle);
  if (!r.timezone.empty()) params.set(TrackedParam::kTimeZone, r.timezone);
}
class Pool;

// One connection from pooler to PostgreSQL: connects, logs in, and then either idles in
// its pool, runs pooler's own queries (parameter sync, reset, connect_query), or is
// linked to a client and forwards the server's replies to it.
class ServerConnection final : public Connection {
 public:
  enum class State : uint8_t {
    kConnecting,    // TCP/Unix connect in progress
    kTlsRequest,    // SSLRequest sent (server_tls_sslmode), waiting for 'S' or 'N'
    kTlsHandshake,  // 'S': OpenSSL is shaking hands
    kLogin,         // startup sent, authenticating
    kIdle,          // in the pool's idle list
    kLinked,        // forwarding to client_
    kSetup,         // linked, but running SETs for the client first (responses consumed)
    kReset,         // running server_reset_query, no client
    kAuthQuery,     // running auth_query for client_, which is still logging in
    kClosing,
  };

  ServerConnection(Pooler& pooler, Socket socket, Pool& pool);
  ~ServerConnection() override;

  State state() const { return state_; }
  const char* state_name() const;
  Pool& pool() const { return *pool_; }
  ClientConnection* client() const { return client_; }
  const ParameterSet& params() const { return params_; }
  const std::vector<std::pair<std::string, std::string>>& all_params() const { return all_params_; }
  uint32_t backend_pid() const { return backend_pid_; }
  uint32_t backend_key() const { return backend_key_; }
  Clock::time_point last_used() const { return last_used_; }
  bool close_needed() const { return close_needed_; }
  // Marks the server for closing once it is back in the pool. With server_fast_close, a
  // session-mode server at a transaction boundary goes now, and its client with it.
  void set_close_needed();
  char tx_status() const { return tx_status_; }
  // Nothing buffered or half-sent in either direction (cf. ClientConnection::quiescent).
  bool quiescent() const { return !has_pending_output() && ready_ == 0 && in_.empty(); }
  // No query in flight: the server may be handed to someone else or reset.
  bool at_transaction_boundary() const {
    return pending_ready_ == 0 && !unsynced_ && tx_status_ == 'I' && ready_ == 0 &&
           stream_remaining_ == 0;
  }

  bool at_transaction_boundary_after_scan() const {
    return pending_ready_ == 0 && !unsynced_ && tx_status_ == 'I' && stream_remaining_ == 0;
  }
  // After a read of ours or of our client's: the crash-safe slots say idle again if this
  // server is at a transaction boundary with nothing of either side in our buffers.
  void settle_slot();

  void start_connect(bool in_progress);
  // Takeover: an already logged-in server from the old process, idle until linked.
  void adopt(const takeover::ConnectionRecord& record);
  void adopt_link(ClientConnection* client);  // socket connecting (non-blocking)
  // Give this idle server to `client`; syncs parameters first if they differ.
  void link(ClientConnection* client);
  // The client is gone or done with us: run the reset query if needed, then idle.
  void unlink_and_reset(bool run_reset_query);
  void run_reset_query();
  // Runs a query of pooler's own (reset, check); the server returns to the pool after it.
  void run_query(const std::string& sql);
  // Looks up `client`'s secret with auth_query; answers it, then returns to the pool.
  void run_auth_query(ClientConnection* client);
  // The client logging in went away: finish the query, answer nobody.
  void abandon_auth_query() { client_ = nullptr; }

  // Named prepared statements are tracked while linked (transaction and statement pooling).
  bool tracks_statements() const { return tracking_; }
  ServerStatements& statements() { return statements_; }
  PendingResponses& pending_responses() { return pending_; }
  // Called by the client as it forwards a message to us.
  void note_client_message(char type);
  // The client side has bytes for us; try to pass them now.
  void on_client_data();

  ListNode pool_node;  // the pool's state list
  ListNode all_node;   // the Pooler's list of all servers

 protected:
  void on_readable() override;
  Connection* forward_source() override;
  void on_source_drained() override;

 private:
  friend class Pool;
  friend class Pooler;
  friend class ClientConnection;
  void on_connected();
  // server_tls_sslmode: the answer to our SSLRequest, then the handshake.
  void read_tls_answer();
  void continue_tls_handshake();
  void send_startup();
  // Still logging in (connect, TLS or authentication): a failure fails the pool's waiters.
  bool logging_in() const {
    return state_ == State::kConnecting || state_ == State::kTlsRequest ||
           state_ == State::kTlsHandshake || state_ == State::kLogin;
  }
  void process_input();
  bool handle_login_message(char type, std::string_view body);
  bool handle_internal_message(char type, std::string_view body);  // setup/reset/idle
  bool handle_auth_query_message(char type, std::string_view body);
  void forward_to_client();
  void finish_setup();
  void record_parameter(std::string_view name, std::string_view value);
  void fail(const char* reason);
  bool send_password(std::string_view auth_payload, int32_t code);
  void release_after_boundary();
  // server_fast_close: the session ends here, after the client got its ReadyForQuery.
  bool fast_close_due() const;
  void fast_close();

  Pool* pool_;
  ClientConnection* client_ = nullptr;
  State state_ = State::kConnecting;
  ParameterSet params_;
  std::vector<std::pair<std::string, std::string>> all_params_;  // login ParameterStatus
  std::unique_ptr<auth::ScramClient> scram_;
  uint32_t backend_pid_ = 0, backend_key_ = 0;
  uint32_t pending_ready_ = 0;  // Query/Sync/FunctionCall sent whose ReadyForQuery is due
  bool unsynced_ = false;       // extended-protocol messages sent since the last Sync
  char tx_status_ = 'I';
  bool close_needed_ = false;
  bool release_pending_ = false;     // release to the pool once the client took all bytes
  bool fast_close_pending_ = false;  // server_fast_close once the client took all bytes
  bool idle_mark_pending_ = false;   // at a boundary; the slots say idle once all bytes went
  void mark_idle_once_flushed();
  bool connect_query_pending_ = false;
  bool tracking_ = false;
  ServerStatements statements_;
  PendingResponses pending_;
  std::unique_ptr<auth::AuthQueryReply> auth_query_reply_;  // only while kAuthQuery
  Clock::time_point last_used_;
  Clock::time_point query_start_{};
  Clock::time_point xact_start_{};
};

}  // namespace pooler::pool
