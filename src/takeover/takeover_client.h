#pragma once
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "core/result.h"
#include "core/socket.h"
#include "takeover/connection_record.h"
#include "takeover/connection_state.h"

namespace pooler::takeover {

// The new side of an online takeover (PgBouncer's -R): logs in to the old process over its
// Unix socket as "pgbouncer", sends SUSPEND, receives every socket with SHOW FDS, and later
// sends SHUTDOWN and waits for the old process to be gone. Works against pooler and
// PgBouncer alike. Blocking I/O, bounded by takeover_timeout; each exchange is short.
//
// With a pooler peer the hand-over rolls (SUSPEND ROLLING): the first SHOW FDS brings the
// listeners and whatever is idle right now; RELEASE FDS confirms each batch and tells how
// many connections the old process still serves; later batches bring those as they
// become idle, while this process already serves what it has.
class TakeoverClient {
 public:
  TakeoverClient(Logger& log, const config::Settings& settings);

  // false: no old process (nothing listens on the socket) - start normally.
  Result<bool> receive_sockets();
  bool rolling() const { return peer_is_pooler_; }
  // Rolling: confirm the batch just adopted; the old process lets go of it. Returns how
  // many connections it still serves. The first call is the point of no return.
  Result<size_t> release_batch();
  // Rolling: the connections that became idle since the last batch (may be none).
  Result<void> receive_batch();

  std::vector<ConnectionRecord>& records() { return records_; }
  std::vector<Socket>& sockets() { return sockets_; }  // sockets_[i] belongs to records_[i]
  // From the pooler-only SHOW FDS_STATE exchange; empty when the old process is PgBouncer.
  std::vector<ExtraState>& extra_state() { return extra_; }
  bool peer_is_pooler() const { return peer_is_pooler_; }
  // Rolling: the old process's memfd for the state of what we take from it (invalid if it
  // offered none). Keeping it current lets the old process take everything back if we die.
  Socket take_slots_region() { return std::move(slots_region_); }

  // SHUTDOWN; then waits until the old process closed the connection and its pidfile is gone.
  // `before_send` runs just before SHUTDOWN goes out: past it, the old process is leaving.
  Result<void> shutdown_old(const std::string& pidfile,
                            const std::function<void()>& before_send = {});

 private:
  Result<void> login();
  enum class Rows { kNone, kFds, kState, kSlots };
  Result<void> simple_query(const std::string& sql, Rows rows);
  Result<void> read_more();  // recvmsg into buf_, collecting passed fds
  bool next_message(char* type, std::string* body);

  Logger& log_;
  const config::Settings& settings_;
  std::string socket_path_;
  Socket sock_;
  std::string buf_;
  std::vector<int> pending_fds_;  // received but not yet matched to a DataRow
  std::vector<ConnectionRecord> records_;
  std::vector<Socket> sockets_;
  std::vector<ExtraState> extra_;
  Socket slots_region_;
  bool peer_is_pooler_ = false;
  bool released_once_ = false;
  std::string last_tag_;  // CommandComplete of the last query
};

}  // namespace pooler::takeover
