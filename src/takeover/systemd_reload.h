#pragma once
#include <functional>

#include "core/log.h"
#include "systemd/notifier.h"

namespace pooler::takeover {

// `systemctl reload pooler` as an online takeover (ExecReload=pooler --takeover CONFIG,
// NotifyAccess=all), following the pattern verified on systemd 252: this ExecReload process
// double-forks the new daemon (so the manager, not the old main, is its parent), the daemon
// reports MAINPID= and READY=1 before it shuts the old one down, and this process returns
// only once the old main process is gone: exit 0, or 1 with the reason in the journal.
//
// `daemon_main(status_fd)` runs in the new daemon and must write "ok\n" to status_fd once the
// hand-over is complete (or "fail: <reason>\n" and return).
int run_takeover_under_systemd_reload(Logger& log, systemd::Notifier& notifier, int old_main_pid,
                                      const std::function<int(int status_fd)>& daemon_main);

// In the new daemon, just before SHUTDOWN: become the unit's main process.
void announce_new_main_process(systemd::Notifier& notifier);

}  // namespace pooler::takeover
