#include "tls/tls_stream.h"

#include <openssl/err.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace pooler::tls {

TlsStream::TlsStream(std::shared_ptr<ServerContext> ctx, int fd)
    : ctx_(std::move(ctx)), ssl_(SSL_new(ctx_->get()), &SSL_free) {
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd) != 1) {
    error_ = take_openssl_error();
    ssl_.reset();
    return;
  }
  SSL_set_accept_state(ssl_.get());
}

TlsStream::Status TlsStream::status_of(int ret) {
  const int err = SSL_get_error(ssl_.get(), ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return Status::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Status::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Status::kEof;  // the client sent close_notify
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        if (errno == 0 || errno == ECONNRESET || errno == EPIPE) return Status::kEof;
        error_ = strerror(errno);
        return Status::kError;
      }
      [[fallthrough]];
    default:
      error_ = take_openssl_error();
      return Status::kError;
  }
}

TlsStream::Status TlsStream::accept() {
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_do_handshake(ssl_.get());
  return ret == 1 ? Status::kOk : status_of(ret);
}

TlsStream::Status TlsStream::read(void* buf, size_t len, size_t& done) {
  ERR_clear_error();
  errno = 0;
  done = 0;
  if (SSL_read_ex(ssl_.get(), buf, len, &done) == 1) return Status::kOk;
  return status_of(0);
}

TlsStream::Status TlsStream::write(const void* buf, size_t len, size_t& done) {
  ERR_clear_error();
  errno = 0;
  done = 0;
  if (SSL_write_ex(ssl_.get(), buf, len, &done) == 1) return Status::kOk;
  return status_of(0);
}

std::string TlsStream::description() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
  return std::string(SSL_get_version(ssl_.get())) + "/" +
         (cipher ? SSL_CIPHER_get_name(cipher) : "?");
}

}  // namespace pooler::tls
