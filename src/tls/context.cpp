#include "tls/context.h"

#include <openssl/err.h>

#include <algorithm>

namespace pooler::tls {

SslMode ssl_mode(const std::string& s) {
  if (s == "allow") return SslMode::kAllow;
  if (s == "prefer") return SslMode::kPrefer;
  if (s == "require") return SslMode::kRequire;
  if (s == "verify-ca") return SslMode::kVerifyCa;
  if (s == "verify-full") return SslMode::kVerifyFull;
  return SslMode::kDisable;  // the setting table admits nothing else
}

std::string take_openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

namespace {

// One side's settings: client_tls_* or server_tls_*, with the prefix for messages.
struct Side {
  std::string prefix;
  const std::string& sslmode;
  const std::string& key_file;
  const std::string& cert_file;
  const std::string& ca_file;
  const std::string& protocols;
  const std::string& ciphers;
};

// PgBouncer's protocol keywords: "secure" is TLS 1.2 and 1.3, "all"/"legacy" anything
// OpenSSL still allows, or a comma list of tlsv1.0 .. tlsv1.3.
Result<std::pair<int, int>> protocol_range(const Side& side) {
  const std::string& value = side.protocols;
  if (value == "secure" || value == "default") return std::pair{TLS1_2_VERSION, 0};
  if (value == "all" || value == "legacy") return std::pair{0, 0};
  int lo = 0, hi = 0;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t end = value.find_first_of(", ", pos);
    if (end == std::string::npos) end = value.size();
    std::string item = value.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    int v = item == "tlsv1.0"   ? TLS1_VERSION
            : item == "tlsv1.1" ? TLS1_1_VERSION
            : item == "tlsv1.2" ? TLS1_2_VERSION
            : item == "tlsv1.3" ? TLS1_3_VERSION
                                : -1;
    if (v < 0) return make_error(side.prefix + "protocols: unknown protocol \"" + item + "\"");
    lo = lo == 0 ? v : std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo == 0) return make_error(side.prefix + "protocols: no protocol given");
  return std::pair{lo, hi};
}

// PgBouncer's cipher keywords map to OpenSSL's strong set; anything else is an OpenSSL
// cipher list (TLS 1.2 and older; TLS 1.3 suites are OpenSSL's defaults).
std::string cipher_list(const std::string& value) {
  if (value == "fast" || value == "normal" || value == "secure" || value == "default") {
    return "HIGH:!aNULL:!eNULL:!MD5:!3DES:!RC4";
  }
  if (value == "all" || value == "legacy") return "ALL:!aNULL:!eNULL";
  return value;
}

// What both roles share: protocols, ciphers, certificate and key, CA file, verification.
Result<std::shared_ptr<Context>> build(const Side& side, bool accepts, SSL_CTX* raw,
                                       std::shared_ptr<Context> ctx, SslMode mode) {
  auto range = protocol_range(side);
  if (!range) return make_error(range.error().message);
  SSL_CTX_set_min_proto_version(raw, range->first);
  SSL_CTX_set_max_proto_version(raw, range->second);
  // No renegotiation (a peer could make us do handshake work at will), no compression
  // (CRIME). Our buffers may move between retries of a write, and a write may be partial.
  // OpenSSL frees a connection's record buffers while nothing is in flight, so idle
  // connections stay small.
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               (accepts ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // One read() for as many records as have arrived, not two per record (header, then
  // body): a syscall less per message. What it reads ahead is in SSL_has_pending().
  SSL_CTX_set_read_ahead(raw, 1);
  if (SSL_CTX_set_cipher_list(raw, cipher_list(side.ciphers).c_str()) != 1) {
    return make_error(side.prefix + "ciphers: \"" + side.ciphers +
                      "\" is not a cipher list OpenSSL knows");
  }
  if (!side.cert_file.empty() &&
      SSL_CTX_use_certificate_chain_file(raw, side.cert_file.c_str()) != 1) {
    return make_error(side.prefix + "cert_file: cannot load " + side.cert_file + ": " +
                      take_openssl_error());
  }
  if (!side.key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(raw, side.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return make_error(side.prefix + "key_file: cannot load " + side.key_file + ": " +
                        take_openssl_error());
    }
    if (SSL_CTX_check_private_key(raw) != 1) {
      return make_error(side.prefix + "key_file: " + side.key_file + " does not match " +
                        side.prefix + "cert_file " + side.cert_file);
    }
  }
  if (!side.ca_file.empty() &&
      SSL_CTX_load_verify_locations(raw, side.ca_file.c_str(), nullptr) != 1) {
    return make_error(side.prefix + "ca_file: cannot load " + side.ca_file + ": " +
                      take_openssl_error());
  }
  if (mode >= SslMode::kVerifyCa) {
    if (side.ca_file.empty()) {
      return make_error(side.prefix + "sslmode = " + side.sslmode + " needs " + side.prefix +
                        "ca_file to verify " + (accepts ? "client" : "server") + " certificates");
    }
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | (accepts ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       nullptr);
  } else {
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);  // encryption only, as libpq's require
  }
  return ctx;
}

}  // namespace

Result<std::shared_ptr<Context>> Context::for_clients(const config::Settings& s) {
  const SslMode mode = ssl_mode(s.client_tls_sslmode);
  if (mode == SslMode::kDisable) return std::shared_ptr<Context>();
  const Side side{"client_tls_",          s.client_tls_sslmode, s.client_tls_key_file,
                  s.client_tls_cert_file, s.client_tls_ca_file, s.client_tls_protocols,
                  s.client_tls_ciphers};
  if (s.client_tls_key_file.empty() || s.client_tls_cert_file.empty()) {
    return make_error("client_tls_sslmode = " + s.client_tls_sslmode +
                      " needs client_tls_key_file and client_tls_cert_file");
  }
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (!raw) return make_error("client TLS: " + take_openssl_error());
  std::shared_ptr<Context> ctx(new Context(raw, mode, true));
  // No session cache and no tickets: nothing to keep per client beyond the connection.
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 0);
  if (s.client_tls_ecdhcurve != "auto" &&
      SSL_CTX_set1_groups_list(raw, s.client_tls_ecdhcurve.c_str()) != 1) {
    return make_error("client_tls_ecdhcurve: \"" + s.client_tls_ecdhcurve +
                      "\" is not a curve OpenSSL knows");
  }
  if (s.client_tls_dheparams != "none") SSL_CTX_set_dh_auto(raw, 1);
  return build(side, true, raw, std::move(ctx), mode);
}

Result<std::shared_ptr<Context>> Context::for_servers(const config::Settings& s) {
  const SslMode mode = ssl_mode(s.server_tls_sslmode);
  if (mode == SslMode::kDisable) return std::shared_ptr<Context>();
  const Side side{"server_tls_",          s.server_tls_sslmode, s.server_tls_key_file,
                  s.server_tls_cert_file, s.server_tls_ca_file, s.server_tls_protocols,
                  s.server_tls_ciphers};
  if (s.server_tls_key_file.empty() != s.server_tls_cert_file.empty()) {
    return make_error(
        "server_tls_key_file and server_tls_cert_file go together (a client "
        "certificate for PostgreSQL)");
  }
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (!raw) return make_error("server TLS: " + take_openssl_error());
  std::shared_ptr<Context> ctx(new Context(raw, mode, false));
  return build(side, false, raw, std::move(ctx), mode);
}

}  // namespace pooler::tls
