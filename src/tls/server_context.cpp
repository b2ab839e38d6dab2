#include "tls/server_context.h"

#include <openssl/err.h>

#include <cstring>

namespace pooler::tls {

ClientSslMode client_ssl_mode(const std::string& s) {
  if (s == "allow") return ClientSslMode::kAllow;
  if (s == "prefer") return ClientSslMode::kPrefer;
  if (s == "require") return ClientSslMode::kRequire;
  if (s == "verify-ca") return ClientSslMode::kVerifyCa;
  if (s == "verify-full") return ClientSslMode::kVerifyFull;
  return ClientSslMode::kDisable;  // the setting table admits nothing else
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

// PgBouncer's protocol keywords: "secure" is TLS 1.2 and 1.3, "all"/"legacy" anything
// OpenSSL still allows, or a comma list of tlsv1.0 .. tlsv1.3.
Result<std::pair<int, int>> protocol_range(const std::string& value) {
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
    if (v < 0) return make_error("client_tls_protocols: unknown protocol \"" + item + "\"");
    lo = lo == 0 ? v : std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo == 0) return make_error("client_tls_protocols: no protocol given");
  return std::pair{lo, hi};
}

// PgBouncer's cipher keywords map to OpenSSL's strong default set; anything else is an
// OpenSSL cipher list (TLS 1.2 and older; TLS 1.3 suites are OpenSSL's defaults).
std::string cipher_list(const std::string& value) {
  if (value == "fast" || value == "normal" || value == "secure" || value == "default") {
    return "HIGH:!aNULL:!eNULL:!MD5:!3DES:!RC4";
  }
  if (value == "all" || value == "legacy") return "ALL:!aNULL:!eNULL";
  return value;
}

}  // namespace

Result<std::shared_ptr<ServerContext>> ServerContext::from_settings(const config::Settings& s) {
  const ClientSslMode mode = client_ssl_mode(s.client_tls_sslmode);
  if (mode == ClientSslMode::kDisable) return std::shared_ptr<ServerContext>();
  if (s.client_tls_key_file.empty() || s.client_tls_cert_file.empty()) {
    return make_error("client_tls_sslmode = " + s.client_tls_sslmode +
                      " needs client_tls_key_file and client_tls_cert_file");
  }
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (!raw) return make_error("client TLS: " + take_openssl_error());
  std::shared_ptr<ServerContext> ctx(new ServerContext(raw, mode));

  auto range = protocol_range(s.client_tls_protocols);
  if (!range) return make_error(range.error().message);
  SSL_CTX_set_min_proto_version(raw, range->first);
  SSL_CTX_set_max_proto_version(raw, range->second);
  // No renegotiation (a client could make us do handshake work at will), no compression
  // (CRIME); our buffers may move between retries of a write, and a write may be partial.
  SSL_CTX_set_options(
      raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Idle clients should cost little: OpenSSL frees a connection's record buffers while
  // nothing is in flight (RELEASE_BUFFERS), and we keep no session cache.
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 0);

  if (SSL_CTX_set_cipher_list(raw, cipher_list(s.client_tls_ciphers).c_str()) != 1) {
    return make_error("client_tls_ciphers: \"" + s.client_tls_ciphers +
                      "\" is not a cipher list OpenSSL knows");
  }
  if (s.client_tls_ecdhcurve != "auto" &&
      SSL_CTX_set1_groups_list(raw, s.client_tls_ecdhcurve.c_str()) != 1) {
    return make_error("client_tls_ecdhcurve: \"" + s.client_tls_ecdhcurve +
                      "\" is not a curve OpenSSL knows");
  }
  if (s.client_tls_dheparams != "none") SSL_CTX_set_dh_auto(raw, 1);

  if (SSL_CTX_use_certificate_chain_file(raw, s.client_tls_cert_file.c_str()) != 1) {
    return make_error("client_tls_cert_file: cannot load " + s.client_tls_cert_file + ": " +
                      take_openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(raw, s.client_tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return make_error("client_tls_key_file: cannot load " + s.client_tls_key_file + ": " +
                      take_openssl_error());
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return make_error("client_tls_key_file: " + s.client_tls_key_file +
                      " does not match client_tls_cert_file " + s.client_tls_cert_file);
  }
  if (!s.client_tls_ca_file.empty() &&
      SSL_CTX_load_verify_locations(raw, s.client_tls_ca_file.c_str(), nullptr) != 1) {
    return make_error("client_tls_ca_file: cannot load " + s.client_tls_ca_file + ": " +
                      take_openssl_error());
  }
  if (mode >= ClientSslMode::kVerifyCa) {
    if (s.client_tls_ca_file.empty()) {
      return make_error("client_tls_sslmode = " + s.client_tls_sslmode +
                        " needs client_tls_ca_file to verify client certificates");
    }
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

}  // namespace pooler::tls
