#pragma once
// PgBouncer's tcp_* settings, applied to each TCP socket pooler accepts from a client or
// opens to a server. Unix sockets take none of them.
#include "config/settings.h"

namespace pooler::pool {

// TCP_NODELAY always (the protocol is request/response); SO_KEEPALIVE unless
// tcp_keepalive = 0; TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT (ms) and
// both buffer sizes (tcp_socket_buffer) only where the setting is nonzero, so the kernel's
// defaults stand otherwise. Best effort: a refused option leaves the connection usable.
void apply_tcp_settings(int fd, const config::Settings& settings);

// On a TCP listener: TCP_DEFER_ACCEPT for tcp_defer_accept seconds (0 turns it off), so a
// connection that sends nothing stays with the kernel instead of taking a client slot.
void apply_listener_tcp_settings(int fd, const config::Settings& settings);

}  // namespace pooler::pool
