#include "takeover/takeover_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "protocol/backend_messages.h"
#include "protocol/byte_order.h"
#include "protocol/message_builder.h"

namespace pooler::takeover {

namespace {
// Test hooks: die (exit 3), or stop as a hung process would (SIGSTOP), at a named point.
void maybe_abort_at(const char* point) {
  const char* at = getenv("POOLER_TEST_TAKEOVER_ABORT_AT");
  if (at && strcmp(at, point) == 0) _exit(3);
  const char* stop = getenv("POOLER_TEST_TAKEOVER_STOP_AT");
  if (stop && strcmp(stop, point) == 0) raise(SIGSTOP);
}
}  // namespace

TakeoverClient::TakeoverClient(Logger& log, const config::Settings& settings)
    : log_(log), settings_(settings) {
  socket_path_ = settings.unix_socket_dir + "/.s.PGSQL." + std::to_string(settings.listen_port);
}

Result<bool> TakeoverClient::receive_sockets() {
  if (settings_.unix_socket_dir.empty()) {
    return make_error("takeover needs unix_socket_dir: fds travel only over the Unix socket");
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket(): ") + strerror(errno));
  sock_ = Socket(fd);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof sun.sun_path) return make_error("socket path too long");
  memcpy(sun.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) {
      POOLER_LOG(log_, LogLevel::kLog, "old process not found, try to continue normally");
      sock_.reset();
      return false;
    }
    return make_error("takeover: connect to " + socket_path_ + ": " + strerror(errno));
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(
      settings_.takeover_timeout.count() > 0 ? settings_.takeover_timeout : config::Seconds(5));
  timeval tv{static_cast<time_t>(timeout.count() / 1000000),
             static_cast<suseconds_t>(timeout.count() % 1000000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  if (auto r = login(); !r) return r.error();
  POOLER_LOG(log_, LogLevel::kLog, "Login OK, sending SUSPEND");
  // A pooler peer lets each connection go at its own idle moment; PgBouncer waits for all.
  if (auto r = simple_query(peer_is_pooler_ ? "SUSPEND ROLLING;" : "SUSPEND;", Rows::kNone); !r) {
    return r.error();
  }
  maybe_abort_at("suspend");
  if (peer_is_pooler_) {
    if (auto r = simple_query("SHOW FDS_SLOTS;", Rows::kSlots); !r || !slots_region_.valid()) {
      // An older pooler: the hand-over works, but if we die after the first batch the
      // connections we took die with us.
      POOLER_LOG(log_, LogLevel::kLog,
                 "the old process keeps no copies for us (%s): connections we take depend on us",
                 r ? "no region sent" : r.error().message.c_str());
    }
  }
  POOLER_LOG(log_, LogLevel::kLog, "SUSPEND finished, sending SHOW FDS");
  if (auto r = receive_batch(); !r) return r.error();
  if (peer_is_pooler_) {
    POOLER_LOG(log_, LogLevel::kLog, "got state of %zu connections and databases (version %d)",
               extra_.size(), kStateVersion);
  }
  return true;
}

Result<void> TakeoverClient::receive_batch() {
  records_.clear();
  sockets_.clear();
  extra_.clear();
  if (auto r = simple_query("SHOW FDS;", Rows::kFds); !r) return r;
  for (auto fd_left : pending_fds_) ::close(fd_left);
  pending_fds_.clear();
  if (peer_is_pooler_) {
    // What PgBouncer's columns cannot hold: every session parameter, stats totals.
    if (auto r = simple_query("SHOW FDS_STATE;", Rows::kState); !r) return r;
  }
  return {};
}

Result<size_t> TakeoverClient::release_batch() {
  if (!released_once_) maybe_abort_at("first_release");  // the old one still holds all
  if (released_once_) maybe_abort_at("rolling");         // serving already, the rest still moving
  released_once_ = true;
  if (auto r = simple_query("RELEASE FDS;", Rows::kNone); !r) return r.error();
  // "RELEASE <n>": n connections are still busy in the old process.
  if (last_tag_.rfind("RELEASE ", 0) != 0) {
    return make_error("takeover: unexpected answer to RELEASE FDS: " + last_tag_);
  }
  return static_cast<size_t>(std::strtoull(last_tag_.c_str() + 8, nullptr, 10));
}

Result<void> TakeoverClient::login() {
  std::string out;
  std::vector<std::pair<std::string, std::string>> params = {{"user", "pgbouncer"},
                                                             {"database", "pgbouncer"}};
  protocol::append_startup_message(out, params);
  if (::send(sock_.fd(), out.data(), out.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(out.size())) {
    return make_error(std::string("takeover: send startup: ") + strerror(errno));
  }
  for (;;) {
    char type;
    std::string body;
    while (!next_message(&type, &body)) {
      if (auto r = read_more(); !r) return r;
    }
    if (type == 'S') {
      auto ps = protocol::parse_parameter_status(body);
      if (ps && ps->first == "server_version" &&
          ps->second.find("pooler") != std::string_view::npos) {
        peer_is_pooler_ = true;  // PgBouncer says "1.18.0/bouncer"
      }
    } else if (type == 'R') {
      auto auth = protocol::parse_authentication(body);
      if (!auth || auth->code != 0) {
        return make_error(
            "takeover: the old process asks for a password; the takeover logs in as "
            "\"pgbouncer\" over the Unix socket with the same uid");
      }
    } else if (type == 'E') {
      auto err = protocol::parse_error_fields(body);
      return make_error("takeover: login refused: " +
                        std::string(err ? err->message : "unknown error"));
    } else if (type == 'Z') {
      return {};
    }
  }
}

Result<void> TakeoverClient::read_more() {
  char data[16384];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(sock_.fd(), &msg, MSG_CMSG_CLOEXEC);
  if (n == 0) return make_error("takeover: the old process closed the connection");
  if (n < 0) {
    if (errno == EINTR) return {};
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return make_error("takeover: the old process did not answer within takeover_timeout");
    }
    return make_error(std::string("takeover: recvmsg: ") + strerror(errno));
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int passed;
        memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        pending_fds_.push_back(passed);
      }
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) return make_error("takeover: too many fds in one message");
  buf_.append(data, static_cast<size_t>(n));
  return {};
}

bool TakeoverClient::next_message(char* type, std::string* body) {
  if (buf_.size() < 5) return false;
  uint32_t len = protocol::load_be32(reinterpret_cast<const uint8_t*>(buf_.data()) + 1);
  if (len < 4 || buf_.size() < 1 + size_t(len)) return false;
  *type = buf_[0];
  body->assign(buf_, 5, len - 4);
  buf_.erase(0, 1 + size_t(len));
  return true;
}

Result<void> TakeoverClient::simple_query(const std::string& sql, Rows rows) {
  std::string out;
  protocol::append_query(out, sql);
  if (::send(sock_.fd(), out.data(), out.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(out.size())) {
    return make_error("takeover: send " + sql + ": " + strerror(errno));
  }
  std::string error;
  for (;;) {
    char type;
    std::string body;
    while (!next_message(&type, &body)) {
      if (auto r = read_more(); !r) return r;
    }
    if (type == 'E') {
      auto err = protocol::parse_error_fields(body);
      error = err ? std::string(err->message) : "error";
    } else if (type == 'C') {
      last_tag_.assign(body.c_str());
    } else if (type == 'D' && rows == Rows::kState) {
      auto values = parse_data_row(body);
      if (!values) return make_error("takeover: malformed SHOW FDS_STATE row");
      auto st = extra_state_from_row(*values);
      if (!st) return make_error("takeover: " + st.error().message);
      extra_.push_back(std::move(st.value()));
    } else if (type == 'D' && rows == Rows::kSlots) {
      while (pending_fds_.empty()) {
        if (auto r = read_more(); !r) return r;
        if (pending_fds_.empty() && !buf_.empty()) {
          return make_error("takeover: SHOW FDS_SLOTS row without its memfd");
        }
      }
      slots_region_ = Socket(pending_fds_.front());
      pending_fds_.erase(pending_fds_.begin());
    } else if (type == 'D' && rows == Rows::kFds) {
      auto values = parse_data_row(body);
      if (!values) return make_error("takeover: malformed SHOW FDS row");
      auto parsed = record_from_row(*values);
      if (!parsed.record) return make_error("takeover: " + parsed.error);
      // Each row's fd arrived with the row's first byte; rows and fds are in the same order.
      while (pending_fds_.empty()) {
        if (auto r = read_more(); !r) return r;
        if (pending_fds_.empty() && !buf_.empty()) {
          return make_error("takeover: SHOW FDS row without its file descriptor");
        }
      }
      int fd = pending_fds_.front();
      pending_fds_.erase(pending_fds_.begin());
      const ConnectionRecord& r = *parsed.record;
      // Listeners at LOG, as PgBouncer; a line per client would be thousands (-v shows them).
      POOLER_LOG(log_,
                 r.task == ConnectionRecord::Task::kListener ? LogLevel::kLog : LogLevel::kDebug,
                 "got %s socket: %s:%d%s%s", task_name(r.task), r.addr.c_str(), r.port,
                 r.database.empty() ? "" : " ",
                 r.database.empty() ? "" : (r.database + "/" + r.user).c_str());
      records_.push_back(std::move(*parsed.record));
      sockets_.emplace_back(fd);
      if (records_.size() == 1) maybe_abort_at("show_fds");
    } else if (type == 'Z') {
      if (!error.empty()) return make_error("takeover: " + sql + " failed: " + error);
      return {};
    }
  }
}

Result<void> TakeoverClient::shutdown_old(const std::string& pidfile,
                                          const std::function<void()>& before_send) {
  maybe_abort_at("shutdown");
  if (before_send) before_send();
  POOLER_LOG(log_, LogLevel::kLog, "sending SHUTDOWN");
  std::string out;
  protocol::append_query(out, "SHUTDOWN;");
  ::send(sock_.fd(), out.data(), out.size(), MSG_NOSIGNAL);
  // The old process exits without answering; EOF (or a reset) tells us it let go.
  char scratch[256];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    ssize_t n = ::recv(sock_.fd(), scratch, sizeof scratch, 0);
    if (n <= 0 && !(n < 0 && errno == EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) break;
  }
  sock_.reset();
  if (!pidfile.empty()) {
    POOLER_LOG(log_, LogLevel::kLog, "waiting for old pidfile to go away");
    while (access(pidfile.c_str(), F_OK) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        return make_error("takeover: old pidfile " + pidfile + " did not go away");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  POOLER_LOG(log_, LogLevel::kLog, "old process killed, resuming work");
  return {};
}

}  // namespace pooler::takeover
