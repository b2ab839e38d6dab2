#pragma once
// One TLS connection: the OpenSSL SSL object over a client's or server's non-blocking
// socket. The socket stays owned by the Connection.
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "tls/context.h"

namespace pooler::tls {

class TlsStream {
 public:
  enum class Status { kOk, kWantRead, kWantWrite, kEof, kError };

  // The side is the context's: accepting a client, or connecting to `host` (a name or an
  // address, checked against the certificate under verify-full; a Unix socket has none).
  TlsStream(std::shared_ptr<Context> ctx, int fd, const std::string& host = {});
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  bool valid() const { return ssl_ != nullptr; }
  // Drives the handshake; kOk once it is complete.
  Status handshake();
  // At most `len` plaintext bytes into `buf`; `done` is what was read or written.
  Status read(void* buf, size_t len, size_t& done);
  Status write(const void* buf, size_t len, size_t& done);
  // Bytes OpenSSL holds (decrypted, or records read ahead) that the socket will not
  // signal again.
  bool has_pending() const { return SSL_has_pending(ssl_.get()) == 1; }
  // "TLSv1.3/TLS_AES_256_GCM_SHA384", for logs and SHOW CLIENTS.
  std::string description() const;
  // The CommonName of the peer's certificate if it sent one and it verified against the
  // CA file; empty otherwise (also for a name with an embedded NUL).
  std::string verified_peer_common_name() const;
  // Why the last call returned kError.
  const std::string& error() const { return error_; }

 private:
  Status status_of(int ret);

  std::shared_ptr<Context> ctx_;  // the SSL_CTX outlives every SSL made from it
  std::unique_ptr<SSL, void (*)(SSL*)> ssl_;
  std::string error_;
};

}  // namespace pooler::tls
