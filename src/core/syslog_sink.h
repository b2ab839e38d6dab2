#pragma once
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "core/socket.h"

namespace pooler {

// syslog(3)'s facility code for a name syslog_facility takes: auth, authpriv, daemon,
// user, local0 ... local7 (PgBouncer's list).
std::optional<int> syslog_facility_code(std::string_view name);

// One datagram as glibc's syslog(3) sends it to /dev/log (RFC 3164):
// "<PRI>Mmm dd hh:mm:ss ident[pid]: message", PRI = facility | severity.
std::string format_syslog_datagram(int facility, int severity, const std::tm& local_time,
                                   std::string_view ident, int pid, std::string_view message);

// Where syslog messages go: /dev/log, or $POOLER_SYSLOG_SOCKET (tests point it at a
// socket of their own, since a test cannot replace the machine's /dev/log).
std::string default_syslog_socket_path();

// Log lines for the local syslog daemon (syslog = 1), sent besides stderr or the logfile,
// as PgBouncer does. Its own socket instead of syslog(3): no process-wide openlog() state,
// and a daemon that does not keep up costs a dropped line, never a blocked event loop.
class SyslogSink {
 public:
  SyslogSink(std::string ident, int facility, std::string path);

  // severity: LOG_ERR, LOG_INFO, ... A daemon that restarted is reconnected once.
  void send(int severity, std::string_view message);
  // Lines the daemon could not take (no daemon, or its socket full).
  uint64_t dropped() const { return dropped_; }
  const std::string& ident() const { return ident_; }
  int facility() const { return facility_; }
  const std::string& path() const { return path_; }

 private:
  bool connect_socket();
  bool send_now(std::string_view datagram);

  std::string ident_;
  int facility_;
  std::string path_;
  Socket socket_;
  uint64_t dropped_ = 0;
};

}  // namespace pooler
