#include "core/syslog_sink.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace pooler {

std::optional<int> syslog_facility_code(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 12> kFacilities = {{
      {"auth", LOG_AUTH},
      {"authpriv", LOG_AUTHPRIV},
      {"daemon", LOG_DAEMON},
      {"user", LOG_USER},
      {"local0", LOG_LOCAL0},
      {"local1", LOG_LOCAL1},
      {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3},
      {"local4", LOG_LOCAL4},
      {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6},
      {"local7", LOG_LOCAL7},
  }};
  for (const auto& [n, code] : kFacilities) {
    if (n == name) return code;
  }
  return std::nullopt;
}

std::string format_syslog_datagram(int facility, int severity, const std::tm& local_time,
                                   std::string_view ident, int pid, std::string_view message) {
  char head[64];
  // glibc's "%h %e %T": the day of the month space-padded, in the C locale's month names.
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int month = local_time.tm_mon >= 0 && local_time.tm_mon < 12 ? local_time.tm_mon : 0;
  snprintf(head, sizeof head, "<%d>%s %2d %02d:%02d:%02d ", (facility | severity), kMonths[month],
           local_time.tm_mday, local_time.tm_hour, local_time.tm_min, local_time.tm_sec);
  std::string out(head);
  out.append(ident);
  out += '[';
  out += std::to_string(pid);
  out += "]: ";
  out.append(message);
  return out;
}

std::string default_syslog_socket_path() {
  const char* path = getenv("POOLER_SYSLOG_SOCKET");
  return path && *path ? path : "/dev/log";
}

SyslogSink::SyslogSink(std::string ident, int facility, std::string path)
    : ident_(std::move(ident)), facility_(facility), path_(std::move(path)) {}

bool SyslogSink::connect_socket() {
  sockaddr_un addr{};
  if (path_.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  Socket s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) return false;
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return false;
  socket_ = std::move(s);
  return true;
}

bool SyslogSink::send_now(std::string_view datagram) {
  if (!socket_.valid() && !connect_socket()) return false;
  return ::send(socket_.fd(), datagram.data(), datagram.size(), MSG_NOSIGNAL) >= 0;
}

void SyslogSink::send(int severity, std::string_view message) {
  const time_t now = time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  const std::string datagram = format_syslog_datagram(facility_, severity, local, ident_,
                                                      static_cast<int>(getpid()), message);
  if (send_now(datagram)) return;
  // A full socket (EAGAIN) drops the line rather than stall the loop. A daemon that
  // restarted (ECONNREFUSED, ENOTCONN) gets a fresh socket, once.
  if (errno != EAGAIN && errno != EWOULDBLOCK && socket_.valid()) {
    socket_.reset();
    if (send_now(datagram)) return;
  }
  ++dropped_;
}

}  // namespace pooler
