#pragma once
#include <string>
#include <vector>

#include "core/log.h"
#include "core/socket.h"
#include "systemd/fd_store.h"
#include "systemd/listen_fds.h"
#include "takeover/connection_record.h"
#include "takeover/connection_state.h"

namespace pooler::takeover {

// The second transport of the same records: what an earlier instance left in the systemd fd
// store. Matches stored sockets to their records in the "state" memfd by FDNAME; whatever
// cannot be trusted (no record, no state, unknown state version) is removed from the store
// and shut down, with the reason logged.
struct StoreRestore {
  std::vector<ConnectionRecord> records;
  std::vector<Socket> sockets;  // sockets[i] belongs to records[i]
  std::vector<ExtraState> extra;
  size_t dropped = 0;
};
StoreRestore plan_store_restore(systemd::InheritedFds& inherited, systemd::FdStore& store,
                                Logger& log);

}  // namespace pooler::takeover
