#pragma once
#include <sys/types.h>

#include <chrono>

namespace pooler {

// Alive and not a zombie waiting for its parent to reap it (a zombie holds no fds and
// maps no memory any more).
bool process_running(pid_t pid);

// Waits up to `limit` for `pid` to stop running; true if it did.
bool wait_until_gone(pid_t pid, std::chrono::milliseconds limit);

}  // namespace pooler
