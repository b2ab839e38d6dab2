#pragma once
// The TLS side pooler shows its clients (client_tls_* settings): one OpenSSL SSL_CTX,
// built from the settings and swapped as a whole on reload.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "config/settings.h"
#include "core/result.h"

namespace pooler::tls {

// client_tls_sslmode, as PgBouncer reads it.
enum class ClientSslMode { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };
ClientSslMode client_ssl_mode(const std::string& setting);

class ServerContext {
 public:
  // nullptr when client_tls_sslmode is disable. An error names the setting and the file.
  static Result<std::shared_ptr<ServerContext>> from_settings(const config::Settings& s);

  SSL_CTX* get() const { return ctx_.get(); }
  ClientSslMode mode() const { return mode_; }
  // A client must use TLS (require, verify-ca, verify-full) unless it came over a Unix socket.
  bool required() const { return mode_ >= ClientSslMode::kRequire; }

 private:
  ServerContext(SSL_CTX* ctx, ClientSslMode mode) : ctx_(ctx, &SSL_CTX_free), mode_(mode) {}
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx_;
  ClientSslMode mode_;
};

// The oldest error on OpenSSL's per-thread queue as text, and the queue emptied.
std::string take_openssl_error();

}  // namespace pooler::tls
