#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/socket.h"
#include "takeover/connection_record.h"
#include "takeover/connection_state.h"
#include "takeover/state_slots.h"

namespace pooler::takeover {

// Which connections a process that died left in a known place: the slots it wrote (one
// connection block each, named by `key`) against the sockets we still hold under the same
// keys. Used after a crash (keys are fd store names) and by the old process of a rolling
// takeover whose new process died before SHUTDOWN (keys are the old fds, as text).
//
// Adopted: a slot that is consistent, not busy, and whose session-mode partner (the link)
// is adopted too; a session client without its server would silently lose its session.
// Everything else is returned in `dropped` for the caller to close. Pure: no I/O.
struct SlotRecovery {
  std::vector<ConnectionRecord> records;
  std::vector<Socket> sockets;  // sockets[i] belongs to records[i]
  std::vector<ExtraState> extra;
  struct Dropped {
    std::string key;
    Socket socket;
    std::string store_name;  // the dead writer's fd store name for it, if it had one
  };
  std::vector<Dropped> dropped;
  size_t slots_read = 0, undecodable = 0, busy = 0, missing = 0, unlinked = 0;
};

enum class SlotKeys { kStoreNames, kOldFds };
// With kOldFds, the writer's fd store name for a connection (if any) rides among the
// parameters under this name.
inline constexpr const char kStoreNameParam[] = "fd_store_name";

SlotRecovery recover_from_slots(const std::vector<StateSlots::Entry>& entries,
                                std::vector<std::pair<std::string, Socket>> sockets, SlotKeys keys);

}  // namespace pooler::takeover
