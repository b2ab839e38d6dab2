#include "tls/tls_stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace pooler::tls {

TlsStream::TlsStream(std::shared_ptr<Context> ctx, int fd, const std::string& host)
    : ctx_(std::move(ctx)), ssl_(SSL_new(ctx_->get()), &SSL_free) {
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd) != 1) {
    error_ = take_openssl_error();
    ssl_.reset();
    return;
  }
  if (ctx_->accepts()) {
    SSL_set_accept_state(ssl_.get());
    return;
  }
  SSL_set_connect_state(ssl_.get());
  if (host.empty()) return;
  unsigned char ip[16];
  const bool is_ip =
      inet_pton(AF_INET, host.c_str(), ip) == 1 || inet_pton(AF_INET6, host.c_str(), ip) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(ssl_.get(), host.c_str());  // SNI, as libpq sends
  if (ctx_->verifies_host()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (ok != 1) {
      error_ = "cannot check the certificate against host " + host;
      ssl_.reset();
    }
  }
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

TlsStream::Status TlsStream::handshake() {
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

std::string TlsStream::verified_peer_common_name() const {
  X509* cert = SSL_get0_peer_certificate(ssl_.get());
  if (!cert || SSL_get_verify_result(ssl_.get()) != X509_V_OK) return {};
  X509_NAME* subject = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return {};
  unsigned char* utf8 = nullptr;
  const int len =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
  if (len < 0) return {};
  std::string name(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  if (name.find('\0') != std::string::npos) return {};
  return name;
}

std::string TlsStream::description() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
  return std::string(SSL_get_version(ssl_.get())) + "/" +
         (cipher ? SSL_CIPHER_get_name(cipher) : "?");
}

}  // namespace pooler::tls
