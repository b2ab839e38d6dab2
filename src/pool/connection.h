#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/event_loop.h"
#include "core/intrusive_list.h"
#include "core/io_buffer.h"
#include "core/socket.h"
#include "tls/tls_stream.h"

namespace pooler::pool {

class Pooler;
using Clock = std::chrono::steady_clock;

// What clients and servers share: the socket, its events, the buffer of bytes read
// from it, and the bytes pooler itself wants to send on it. Forwarded bytes stay in the
// source's buffer until the destination socket takes them; nothing is copied.
class Connection {
 public:
  Connection(Pooler& pooler, Socket socket);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection();

  int fd() const { return socket_.fd(); }
  Pooler& pooler() const { return pooler_; }
  const PeerAddress& address() const { return address_; }
  Clock::time_point connect_time() const { return connect_time_; }
  bool closing() const { return closing_; }
  // Rolling takeover: sent to the new process, frozen here until it confirms adoption.
  bool handed_over() const { return handed_over_; }
  // FDNAME in systemd's fd store, or empty if not stored.
  const std::string& store_name() const { return store_name_; }
  void set_store_name(std::string name) { store_name_ = std::move(name); }
  uint32_t state_slot() const { return slot_; }
  void set_state_slot(uint32_t slot) { slot_ = slot; }
  // Rolling takeover, new side: the old process's fd for this connection (-1: not taken
  // from it) and our slot in the region where it reads our state if we die before SHUTDOWN.
  int handover_fd() const { return handover_fd_; }
  uint32_t handover_slot() const { return handover_slot_; }
  void set_handover(int old_fd, uint32_t slot) {
    handover_fd_ = old_fd;
    handover_slot_ = slot;
  }
  // Some process could rebuild this connection from a slot: keep the busy flag exact.
  bool has_state_slot() const { return slot_ != 0 || handover_slot_ != 0; }

  // Queue bytes pooler generated (errors, auth, admin results) and try to send them now.
  // Returns false if the socket failed.
  bool send_local(std::string_view bytes);
  // Sends out_ now, waiting for the socket if needed (takeover only: the loop is suspended).
  bool flush_blocking(int timeout_ms);
  bool has_pending_output() const { return !out_.empty(); }
  bool has_buffered_input() const { return in_.size() > 0; }
  // Nothing of this connection waits in our buffers: a process adopting its socket could
  // carry on from the protocol state alone. A crash-safe slot may say "idle" only then.
  bool nothing_buffered() const { return !has_buffered_input() && !has_pending_output(); }
  // What sits in this connection's buffers, for SHOW SOCKETS.
  struct BufferState {
    size_t received = 0;   // bytes in the read buffer
    size_t due = 0;        // of those, parsed and due to the peer
    size_t streaming = 0;  // body bytes of the current message still to come
    size_t local = 0;      // bytes pooler generated, not yet sent
    bool empty() const { return received == 0 && streaming == 0 && local == 0; }
  };
  BufferState buffer_state() const { return {in_.size(), ready_, stream_remaining_, out_.size()}; }
  // The client talks TLS to us (client_tls_sslmode). Such a connection cannot move to
  // another process: its TLS state lives in our OpenSSL objects.
  bool tls() const { return tls_ != nullptr; }
  std::string tls_description() const { return tls_ ? tls_->description() : std::string(); }

 protected:
  friend class Pooler;
  // Bytes [0, ready_) of in_ are parsed and due to `to`; sends as many as the socket
  // takes. Returns false on a hard socket error of `to`. Sets blocked_ when `to` is full.
  enum class FlushResult { kDone, kBlocked, kError };
  FlushResult flush_ready_to(Connection& to);

  // Sends as much of `bytes` as our socket takes now (through TLS if on), dropping what went
  // out from the view.
  enum class SendResult { kDone, kWouldBlock, kError };
  SendResult send_some(std::string_view& bytes);

  void start_reading();
  void stop_reading();
  void want_write();
  // Reads what is available into in_. Returns bytes read, 0 on EOF, -1 on error, -2 if
  // nothing now (EAGAIN) or no room.
  ssize_t read_some();
  ssize_t read_tls();
  // One step of the TLS handshake, waiting for the socket as OpenSSL asks; on kFailed,
  // `why` says what happened.
  enum class HandshakeStep { kDone, kPending, kFailed };
  HandshakeStep step_tls_handshake(std::string& why);
  // Why read_some() returned -1.
  std::string read_error() const;
  void release_buffer_if_idle();
  // While a message's body streams through, its bytes are due to the peer as they arrive.
  // True if a body was streaming (the caller's scan goes on from the new ready_).
  bool take_streamed_bytes() {
    if (stream_remaining_ == 0) return false;
    const size_t take = std::min<size_t>(stream_remaining_, in_.size() - ready_);
    ready_ += take;
    stream_remaining_ -= static_cast<uint32_t>(take);
    return true;
  }
  // The message at ready_ (of `size` bytes) is due to the peer; what is not buffered yet
  // streams through later.
  void take_message(size_t size) {
    const size_t take = std::min(size, in_.size() - ready_);
    ready_ += take;
    stream_remaining_ = static_cast<uint32_t>(size - take);
  }

  virtual void on_readable() = 0;
  virtual void on_writable();  // flushes out_, then lets the peer flush into us
  virtual Connection* forward_source() { return nullptr; }  // who forwards into us
  virtual void on_source_drained() {}                       // the peer's ready bytes all went out
  virtual bool reading_allowed() const { return true; }

  static void read_cb(evutil_socket_t, short, void* arg);
  static void write_cb(evutil_socket_t, short, void* arg);

  Pooler& pooler_;
  Socket socket_;
  int handover_fd_ = -1;  // beside socket_: one 8-byte word for both, not two
  Event read_event_;
  // Made at the first send that blocks: most connections never need it, and an idle client
  // is smaller without one.
  std::unique_ptr<Event> write_event_;
  IoBuffer in_;
  std::unique_ptr<tls::TlsStream> tls_;
  std::string out_;                // locally generated bytes not yet sent
  size_t ready_ = 0;               // bytes at the front of in_ parsed and due to the peer
  uint32_t stream_remaining_ = 0;  // body bytes of the current message still to pass through
  bool reading_ = false;
  bool closing_ = false;
  bool handed_over_ = false;
  bool tls_read_wants_write_ = false;  // OpenSSL must send before it can read on
  PeerAddress address_;
  std::string store_name_;
  uint32_t slot_ = 0;  // crash-safe state slot (fd store), 0 = none
  uint32_t handover_slot_ = 0;
  Clock::time_point connect_time_;
};

}  // namespace pooler::pool
