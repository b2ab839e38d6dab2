#include "pool/connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

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
    if (tls_ && tls_->has_pending()) read_event_.activate(EV_READ);  // epoll cannot tell
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
  if (tls_) return read_tls();
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

ssize_t Connection::read_tls() {
  size_t n = 0;
  switch (tls_->read(in_.write_ptr(), in_.space(), n)) {
    case tls::TlsStream::Status::kOk:
      in_.commit(n);
      // A record larger than our free space leaves plaintext inside OpenSSL, which epoll
      // will not report: come back on this loop iteration.
      if (tls_->has_pending()) read_event_.activate(EV_READ);
      return static_cast<ssize_t>(n);
    case tls::TlsStream::Status::kWantRead:
      release_buffer_if_idle();
      return -2;
    case tls::TlsStream::Status::kWantWrite:
      tls_read_wants_write_ = true;
      want_write();
      return -2;
    case tls::TlsStream::Status::kEof:
      return 0;
    case tls::TlsStream::Status::kError:
      break;
  }
  return -1;
}

Connection::HandshakeStep Connection::step_tls_handshake(std::string& why) {
  switch (tls_->handshake()) {
    case tls::TlsStream::Status::kOk:
      return HandshakeStep::kDone;
    case tls::TlsStream::Status::kWantRead:
      return HandshakeStep::kPending;
    case tls::TlsStream::Status::kWantWrite:
      tls_read_wants_write_ = true;
      want_write();
      return HandshakeStep::kPending;
    case tls::TlsStream::Status::kEof:
      why = "connection closed during the TLS handshake";
      return HandshakeStep::kFailed;
    case tls::TlsStream::Status::kError:
      break;
  }
  why = "TLS handshake failed: " + tls_->error();
  return HandshakeStep::kFailed;
}

std::string Connection::read_error() const {
  if (tls_ && !tls_->error().empty()) return "TLS: " + tls_->error();
  return strerror(errno);
}

void Connection::release_buffer_if_idle() {
  if (ready_ == 0 && stream_remaining_ == 0) in_.release_if_empty(pooler_.buffers());
}

Connection::SendResult Connection::send_some(std::string_view& bytes) {
  while (!bytes.empty()) {
    if (tls_) {
      size_t n = 0;
      switch (tls_->write(bytes.data(), bytes.size(), n)) {
        case tls::TlsStream::Status::kOk:
          bytes.remove_prefix(n);
          continue;
        case tls::TlsStream::Status::kWantRead:  // a TLS 1.3 key update: wait for the socket
        case tls::TlsStream::Status::kWantWrite:
          return SendResult::kWouldBlock;
        default:
          return SendResult::kError;
      }
    }
    ssize_t n = ::send(socket_.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
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

Connection::FlushResult Connection::flush_ready_to(Connection& to) {
  std::string_view pending(reinterpret_cast<const char*>(in_.data()), ready_);
  SendResult r = to.send_some(pending);
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
    SendResult r = send_some(pending);
    out_.erase(0, out_.size() - pending.size());
    if (r != SendResult::kWouldBlock) return r == SendResult::kDone;
    pollfd p{socket_.fd(), POLLOUT, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
  }
}

bool Connection::send_local(std::string_view bytes) {
  if (closing_ || !socket_.valid()) return false;
  if (out_.empty()) {
    if (send_some(bytes) == SendResult::kError) return false;
    if (bytes.empty()) return true;
  }
  out_.append(bytes);
  want_write();
  return true;
}

void Connection::on_writable() {
  if (tls_read_wants_write_) {
    tls_read_wants_write_ = false;
    read_event_.activate(EV_READ);
  }
  std::string_view pending(out_);
  SendResult r = send_some(pending);
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
