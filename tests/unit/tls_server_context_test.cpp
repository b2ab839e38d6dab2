// client_tls_* settings into an OpenSSL context: what is refused, and why, before any
// certificate is read. (Loading real certificates is covered by tests/integration/tls_test.)
#include <gtest/gtest.h>

#include "config/settings.h"
#include "tls/server_context.h"

namespace pooler::tls {
namespace {

config::Settings with_mode(const std::string& mode) {
  config::Settings s;
  s.client_tls_sslmode = mode;
  s.client_tls_key_file = "/nonexistent/server.key";
  s.client_tls_cert_file = "/nonexistent/server.crt";
  return s;
}

TEST(TlsServerContext, DisableMakesNoContext) {
  auto r = ServerContext::from_settings(config::Settings{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(nullptr, r.value());
}

TEST(TlsServerContext, SslModesParseAsPgBouncerNamesThem) {
  EXPECT_EQ(ClientSslMode::kDisable, client_ssl_mode("disable"));
  EXPECT_EQ(ClientSslMode::kAllow, client_ssl_mode("allow"));
  EXPECT_EQ(ClientSslMode::kPrefer, client_ssl_mode("prefer"));
  EXPECT_EQ(ClientSslMode::kRequire, client_ssl_mode("require"));
  EXPECT_EQ(ClientSslMode::kVerifyCa, client_ssl_mode("verify-ca"));
  EXPECT_EQ(ClientSslMode::kVerifyFull, client_ssl_mode("verify-full"));
}

TEST(TlsServerContext, AModeOtherThanDisableNeedsKeyAndCertificate) {
  config::Settings s;
  s.client_tls_sslmode = "prefer";
  auto r = ServerContext::from_settings(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("client_tls_key_file"));
}

TEST(TlsServerContext, AnUnknownProtocolIsNamed) {
  config::Settings s = with_mode("require");
  s.client_tls_protocols = "tlsv1.2,tlsv9";
  auto r = ServerContext::from_settings(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("client_tls_protocols: unknown protocol \"tlsv9\"", r.error().message);
}

TEST(TlsServerContext, AnUnknownCipherListIsNamed) {
  config::Settings s = with_mode("require");
  s.client_tls_ciphers = "NO-SUCH-CIPHER";
  auto r = ServerContext::from_settings(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("client_tls_ciphers"));
}

TEST(TlsServerContext, AMissingCertificateFileIsNamed) {
  auto r = ServerContext::from_settings(with_mode("require"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(0u,
            r.error().message.rfind("client_tls_cert_file: cannot load /nonexistent/server.crt", 0))
      << r.error().message;
}

}  // namespace
}  // namespace pooler::tls
