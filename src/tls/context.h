#pragma once
// pooler's two TLS roles, each one OpenSSL SSL_CTX built from settings and swapped whole on
// reload: towards clients pooler is the TLS server (client_tls_*), towards PostgreSQL the
// TLS client (server_tls_*).
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "config/settings.h"
#include "core/result.h"

namespace pooler::tls {

// client_tls_sslmode and server_tls_sslmode, as PgBouncer reads them.
enum class SslMode { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };
SslMode ssl_mode(const std::string& setting);

class Context {
 public:
  // From client_tls_*; nullptr when client_tls_sslmode is disable. An error names the
  // setting and the file.
  static Result<std::shared_ptr<Context>> for_clients(const config::Settings& s);
  // From server_tls_*; nullptr when server_tls_sslmode is disable.
  static Result<std::shared_ptr<Context>> for_servers(const config::Settings& s);

  SSL_CTX* get() const { return ctx_.get(); }
  SslMode mode() const { return mode_; }
  bool accepts() const { return accepts_; }  // the TLS server side (facing clients)
  // The peer must use TLS (require and stricter).
  bool required() const { return mode_ >= SslMode::kRequire; }
  // Towards servers: the certificate must also name the host we connected to.
  bool verifies_host() const { return mode_ == SslMode::kVerifyFull && !accepts_; }

 private:
  Context(SSL_CTX* ctx, SslMode mode, bool accepts)
      : ctx_(ctx, &SSL_CTX_free), mode_(mode), accepts_(accepts) {}
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx_;
  SslMode mode_;
  bool accepts_;
};

// The oldest error on OpenSSL's per-thread queue as text, and the queue emptied.
std::string take_openssl_error();

}  // namespace pooler::tls
