#include "takeover/show_fds.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "protocol/message_builder.h"

namespace pooler::takeover {

namespace {
// Sends `bytes`, the fds riding with their first byte.
Result<void> send_all(int sock, std::string_view bytes, const std::vector<int>& fds,
                      int timeout_ms) {
  bool fd_sent = fds.empty();
  while (!bytes.empty()) {
    msghdr msg{};
    iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
    if (!fd_sent) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      fd_sent = true;
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{sock, POLLOUT, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return make_error("SHOW FDS: peer stopped reading");
      continue;
    }
    return make_error(std::string("SHOW FDS: sendmsg: ") + strerror(errno));
  }
  return {};
}
}  // namespace

Result<void> send_show_fds(int sock, const std::vector<ConnectionRecord>& records, int timeout_ms,
                           size_t rows_per_message) {
  rows_per_message = std::clamp<size_t>(rows_per_message, 1, kMaxFdsPerMessage);
  std::string head;
  std::vector<protocol::Column> columns;
  for (size_t i = 0; i < std::size(kShowFdsColumns); ++i) {
    uint32_t oid = 25;                         // text
    if (i == 0 || i == 5 || i == 7) oid = 23;  // fd, port, link: int4
    if (i == 6) oid = 20;                      // cancel: int8
    if (i >= 13) oid = 17;                     // scram keys: bytea
    columns.push_back({kShowFdsColumns[i], oid, -1});
  }
  protocol::append_row_description(head, columns);
  if (auto r = send_all(sock, head, {}, timeout_ms); !r) return r;
  std::string rows;
  std::vector<int> fds;
  for (size_t i = 0; i < records.size(); ++i) {
    auto values = row_from_record(records[i]);
    std::vector<std::optional<std::string_view>> views;
    for (const auto& v : values) {
      views.push_back(v ? std::optional<std::string_view>(*v) : std::nullopt);
    }
    protocol::append_data_row(rows, views);
    fds.push_back(records[i].fd);
    if (fds.size() == rows_per_message || i + 1 == records.size()) {
      if (auto r = send_all(sock, rows, fds, timeout_ms); !r) return r;
      rows.clear();
      fds.clear();
    }
  }
  std::string tail;
  protocol::append_command_complete(tail, "SHOW");
  protocol::append_ready_for_query(tail, 'I');
  return send_all(sock, tail, {}, timeout_ms);
}

Result<void> send_slots_region(int sock, int memfd, size_t slots, int timeout_ms) {
  std::string head;
  const protocol::Column columns[] = {{"slots", 23, -1}};
  protocol::append_row_description(head, columns);
  if (auto r = send_all(sock, head, {}, timeout_ms); !r) return r;
  std::string row;
  const std::string count = std::to_string(slots);
  const std::optional<std::string_view> values[] = {count};
  protocol::append_data_row(row, values);
  if (auto r = send_all(sock, row, {memfd}, timeout_ms); !r) return r;
  std::string tail;
  protocol::append_command_complete(tail, "SHOW");
  protocol::append_ready_for_query(tail, 'I');
  return send_all(sock, tail, {}, timeout_ms);
}

namespace {
std::optional<ucred> peer_credentials(int sock) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  return cred;
}
}  // namespace

bool peer_has_our_uid(int sock) {
  auto cred = peer_credentials(sock);
  return cred && cred->uid == geteuid();
}

int peer_pid(int sock) {
  auto cred = peer_credentials(sock);
  return cred ? cred->pid : 0;
}

}  // namespace pooler::takeover
