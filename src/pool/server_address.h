#pragma once
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
// TCP sockets get the tcp_* settings (apply_tcp_settings).
Result<PendingConnect> connect_to_server(const config::DatabaseEntry& entry,
                                         const config::Settings& settings);

// After writability: 0 if connected, else the errno of the failed connect.
int pending_connect_error(int fd);

}  // namespace pooler::pool
