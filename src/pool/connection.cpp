#include "pool/connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "pool/pooler.h"

namespace pooler::pool {

Connection::Connection(Pooler& pooler, Socket socket)
    : pooler_(pooler), socket_(std::move(socket)), connect_time_(Clock::now()) {
  read_event_.assign(pooler_.loop(), socket_.fd(), EV_READ | EV_PERSIST, &Connection::read_cb,
                     this);
}

Connection::~Connection() {
  read_event_.reset();
  write_event_.reset();
  in_.release(pooler_.buffers());
}

void Connection::read_cb(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  if (!self->closing_) self->on_readable();
}

void Connection::write_cb(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  if (!self->closing_) self->on_writable();
}

void Connection::start_reading() {
  if (!reading_ && !closing_ && !handed_over_ && reading_allowed()) {
    read_event_.add();
    reading_ = true;
  }
}

void Connection::stop_reading() {
  if (reading_) {
    read_event_.remove();
    reading_ = false;
  }
}

void Connection::want_write() {
  if (closing_) return;
  if (!write_event_) {
    write_event_ = std::make_unique<Event>();
    write_event_->assign(pooler_.loop(), socket_.fd(), EV_WRITE, &Connection::write_cb, this);
  }
  write_event_->add();
}

ssize_t Connection::read_some() {
  in_.ensure(pooler_.buffers());
  if (in_.space() == 0) {
    in_.compact();
    if (in_.space() == 0) return -2;
  }
  ssize_t n = ::recv(socket_.fd(), in_.write_ptr(), in_.space(), 0);
  if (n > 0) {
    in_.commit(static_cast<size_t>(n));
    return n;
  }
  if (n == 0) return 0;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    release_buffer_if_idle();
    return -2;
  }
  return -1;
}

void Connection::release_buffer_if_idle() {
  if (ready_ == 0 && stream_remaining_ == 0) in_.release_if_empty(pooler_.buffers());
}

namespace {
// Sends as much of `bytes` as the socket takes now, dropping what went out from the view.
enum class SendResult { kDone, kWouldBlock, kError };
SendResult send_some(int fd, std::string_view& bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return SendResult::kWouldBlock;
    } else {
      return SendResult::kError;
    }
  }
  return SendResult::kDone;
}
}  // namespace

Connection::FlushResult Connection::flush_ready_to(Connection& to) {
  std::string_view pending(reinterpret_cast<const char*>(in_.data()), ready_);
  SendResult r = send_some(to.socket_.fd(), pending);
  const size_t sent = ready_ - pending.size();
  in_.consume(sent);
  ready_ -= sent;
  if (r == SendResult::kWouldBlock) {
    to.want_write();
    return FlushResult::kBlocked;
  }
  if (r == SendResult::kError) return FlushResult::kError;
  release_buffer_if_idle();
  return FlushResult::kDone;
}

bool Connection::flush_blocking(int timeout_ms) {
  for (;;) {
    std::string_view pending(out_);
    SendResult r = send_some(socket_.fd(), pending);
    out_.erase(0, out_.size() - pending.size());
    if (r != SendResult::kWouldBlock) return r == SendResult::kDone;
    pollfd p{socket_.fd(), POLLOUT, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
  }
}

bool Connection::send_local(std::string_view bytes) {
  if (closing_ || !socket_.valid()) return false;
  if (out_.empty()) {
    if (send_some(socket_.fd(), bytes) == SendResult::kError) return false;
    if (bytes.empty()) return true;
  }
  out_.append(bytes);
  want_write();
  return true;
}

void Connection::on_writable() {
  std::string_view pending(out_);
  SendResult r = send_some(socket_.fd(), pending);
  out_.erase(0, out_.size() - pending.size());
  if (r == SendResult::kWouldBlock) {
    want_write();
    return;
  }
  if (r == SendResult::kError) {
    out_.clear();
    return;  // the read side will see the error and close
  }
  if (out_.capacity() > 4096) std::string().swap(out_);
  if (Connection* src = forward_source()) {
    if (src->ready_ > 0) {
      FlushResult flushed = src->flush_ready_to(*this);
      if (flushed != FlushResult::kDone) return;  // blocked, or an error our read path reports
    }
    src->on_source_drained();
  }
}

}  // namespace pooler::pool
