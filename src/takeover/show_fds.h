#pragma once
#include <vector>

#include "core/result.h"
#include "takeover/connection_record.h"

namespace pooler::takeover {

// The old side of a takeover: writes the SHOW FDS result on `sock`, each DataRow sent
// with sendmsg() carrying its socket as SCM_RIGHTS, then CommandComplete and
// ReadyForQuery. Blocks (bounded by `timeout_ms` per write) because the process is
// suspended anyway and the order of bytes and fds must not interleave with anything else.
Result<void> send_show_fds(int sock, const std::vector<ConnectionRecord>& records, int timeout_ms);

// True if the peer of a Unix socket runs with our own effective uid (SO_PEERCRED).
bool peer_has_our_uid(int sock);

}  // namespace pooler::takeover
