// client_tls_* and server_tls_* settings into OpenSSL contexts: what is refused, and why,
// before any certificate is read. (Loading real certificates is covered by
// tests/integration/tls_test.)
#include <gtest/gtest.h>

#include "config/settings.h"
#include "tls/context.h"

namespace pooler::tls {
namespace {

config::Settings with_mode(const std::string& mode) {
  config::Settings s;
  s.client_tls_sslmode = mode;
  s.client_tls_key_file = "/nonexistent/server.key";
  s.client_tls_cert_file = "/nonexistent/server.crt";
  return s;
}

TEST(TlsContext, DisableMakesNoContext) {
  auto r = Context::for_clients(config::Settings{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(nullptr, r.value());
}

TEST(TlsContext, SslModesParseAsPgBouncerNamesThem) {
  EXPECT_EQ(SslMode::kDisable, ssl_mode("disable"));
  EXPECT_EQ(SslMode::kAllow, ssl_mode("allow"));
  EXPECT_EQ(SslMode::kPrefer, ssl_mode("prefer"));
  EXPECT_EQ(SslMode::kRequire, ssl_mode("require"));
  EXPECT_EQ(SslMode::kVerifyCa, ssl_mode("verify-ca"));
  EXPECT_EQ(SslMode::kVerifyFull, ssl_mode("verify-full"));
}

TEST(TlsContext, AModeOtherThanDisableNeedsKeyAndCertificate) {
  config::Settings s;
  s.client_tls_sslmode = "prefer";
  auto r = Context::for_clients(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("client_tls_key_file"));
}

TEST(TlsContext, AnUnknownProtocolIsNamed) {
  config::Settings s = with_mode("require");
  s.client_tls_protocols = "tlsv1.2,tlsv9";
  auto r = Context::for_clients(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("client_tls_protocols: unknown protocol \"tlsv9\"", r.error().message);
}

TEST(TlsContext, AnUnknownCipherListIsNamed) {
  config::Settings s = with_mode("require");
  s.client_tls_ciphers = "NO-SUCH-CIPHER";
  auto r = Context::for_clients(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("client_tls_ciphers"));
}

TEST(TlsContext, AMissingCertificateFileIsNamed) {
  auto r = Context::for_clients(with_mode("require"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(0u,
            r.error().message.rfind("client_tls_cert_file: cannot load /nonexistent/server.crt", 0))
      << r.error().message;
}

TEST(TlsContext, ServerSideDisableMakesNoContextAndPreferNeedsNoFiles) {
  config::Settings s;
  auto off = Context::for_servers(s);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(nullptr, off.value());
  s.server_tls_sslmode = "prefer";
  auto on = Context::for_servers(s);
  ASSERT_TRUE(on.ok()) << on.error().message;
  ASSERT_NE(nullptr, on.value());
  EXPECT_FALSE(on.value()->accepts());
  EXPECT_FALSE(on.value()->required());
}

TEST(TlsContext, ServerSideVerifyNeedsACaFile) {
  config::Settings s;
  s.server_tls_sslmode = "verify-full";
  auto r = Context::for_servers(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      "server_tls_sslmode = verify-full needs server_tls_ca_file to verify server "
      "certificates",
      r.error().message);
}

TEST(TlsContext, ServerSideKeyWithoutCertificateIsRefused) {
  config::Settings s;
  s.server_tls_sslmode = "require";
  s.server_tls_key_file = "/nonexistent/client.key";
  auto r = Context::for_servers(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("go together"));
}

}  // namespace
}  // namespace pooler::tls
