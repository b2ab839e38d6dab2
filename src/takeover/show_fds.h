#pragma once
#include <vector>

#include "core/result.h"
#include "takeover/connection_record.h"

namespace pooler::takeover {

// The old side of a takeover: writes the SHOW FDS result on `sock`, the DataRows sent
// with sendmsg() carrying their sockets as SCM_RIGHTS, in the same order, then
// CommandComplete and ReadyForQuery. PgBouncer expects one row and one fd per message
// (rows_per_message = 1); a pooler peer takes up to kMaxFdsPerMessage at once. Blocks
// (bounded by `timeout_ms` per write): the order of bytes and fds must not interleave
// with anything else.
inline constexpr size_t kMaxFdsPerMessage = 16;  // the receiver's control buffer holds 16
Result<void> send_show_fds(int sock, const std::vector<ConnectionRecord>& records, int timeout_ms,
                           size_t rows_per_message = 1);

// SHOW FDS_SLOTS, pooler-only: one row ("slots": how many) carrying the memfd in which the
// new process of a rolling takeover keeps the state of each connection it took from us.
// If it dies before SHUTDOWN, we read that state and take back our copies of its sockets.
Result<void> send_slots_region(int sock, int memfd, size_t slots, int timeout_ms);

// True if the peer of a Unix socket runs with our own effective uid (SO_PEERCRED).
bool peer_has_our_uid(int sock);
// The pid of the peer of a Unix socket (SO_PEERCRED), 0 if unknown.
int peer_pid(int sock);

}  // namespace pooler::takeover
