// A throwaway certificate authority with a server certificate (CN=localhost, IP 127.0.0.1)
// and a client certificate (CN=alice), made once per test run with the openssl command.
#pragma once

#include <string>
#include <vector>

namespace pooler_test {

class PgCluster;

struct TestCertificates {
  std::string dir;  // owned by the test user, so the pooler can read the keys
  std::string ca_cert;
  std::string server_cert, server_key;
  // Owned by root with mode 0600, as libpq insists for a key of another user's.
  std::string client_cert, client_key;

  // Made on first use; throws std::runtime_error if openssl fails.
  static const TestCertificates& get();
  // The pooler.ini lines for client_tls_sslmode = `mode` with these files.
  std::vector<std::string> pooler_lines(const std::string& mode) const;
  // The pooler.ini lines for server_tls_sslmode = `mode`, trusting this CA.
  std::vector<std::string> server_lines(const std::string& mode) const;
};

// Turns TLS on (with the server certificate above) or off in the shared cluster, with a
// configuration reload, and waits until new connections see the change.
void set_postgres_ssl(const PgCluster& pg, bool on);

}  // namespace pooler_test
