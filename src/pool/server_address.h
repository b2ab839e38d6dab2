#pragma once
#include <sys/socket.h>

#include <string>

#include "config/config.h"
#include "core/result.h"
#include "core/socket.h"

namespace pooler::pool {

// A non-blocking connect to a [databases] entry's host/port: TCP for names and
// addresses, Unix socket "<dir>/.s.PGSQL.<port>" when host is a path or empty.
struct PendingConnect {
  Socket socket;
  bool in_progress = false;  // EINPROGRESS: wait for writability, then check SO_ERROR
  std::string description;   // "127.0.0.1:5432" or "/run/postgresql/.s.PGSQL.5432"
};
// Unix socket entries connect to their path; a TCP entry connects to `tcp_address` (its
// host already looked up, port 0: the entry's port is set here). TCP sockets get the tcp_*
// settings (apply_tcp_settings).
bool is_unix_socket_entry(const config::DatabaseEntry& entry);
Result<PendingConnect> connect_to_server(const config::DatabaseEntry& entry,
                                         const config::Settings& settings,
                                         const sockaddr_storage* tcp_address);

// After writability: 0 if connected, else the errno of the failed connect.
int pending_connect_error(int fd);

}  // namespace pooler::pool
