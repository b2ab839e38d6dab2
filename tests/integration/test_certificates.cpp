#include "test_certificates.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

#include "pg_cluster.h"
#include "process_util.h"

namespace pooler_test {
namespace {

void openssl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  SpawnOptions options;
  options.output_path = dir + "/openssl.log";
  if (run(args, options) != 0) {
    throw std::runtime_error("openssl failed: " + tail(read_file(dir + "/openssl.log"), 20));
  }
}

// A key and a certificate for `cn`, signed by the CA in `dir`.
void issue(const std::string& dir, const std::string& name, const std::string& cn,
           const std::string& extensions) {
  const std::string p = dir + "/" + name;
  openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", p + ".key", "-out", p + ".csr", "-subj", "/CN=" + cn});
  write_file(p + ".ext", extensions + "\n");
  openssl(dir,
          {"x509", "-req", "-in", p + ".csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key",
           "-CAcreateserial", "-days", "2", "-out", p + ".crt", "-extfile", p + ".ext"});
}

struct Holder {
  TestCertificates certs;
  ~Holder() {
    if (!certs.dir.empty()) remove_temp_dir(certs.dir);
    if (!certs.client_key.empty()) {
      remove_temp_dir(certs.client_key.substr(0, certs.client_key.rfind('/')));
    }
  }
};

}  // namespace

const TestCertificates& TestCertificates::get() {
  static std::unique_ptr<Holder> holder;
  if (holder) return holder->certs;
  auto h = std::make_unique<Holder>();
  TestCertificates& c = h->certs;
  c.dir = make_temp_dir("pooler-certs");
  openssl(c.dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-keyout", c.dir + "/ca.key", "-out", c.dir + "/ca.crt", "-days", "2",
                  "-subj", "/CN=pooler-test-ca"});
  issue(c.dir, "server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  issue(c.dir, "client", "alice", "extendedKeyUsage=clientAuth");
  c.ca_cert = c.dir + "/ca.crt";
  c.server_cert = c.dir + "/server.crt";
  c.server_key = c.dir + "/server.key";
  chmod(c.server_key.c_str(), 0600);  // PostgreSQL refuses a key others may read
  // The client's copies belong to root (this process): libpq refuses a key owned by
  // another user, and the test user's dir is not ours.
  char tmpl[] = "/tmp/pooler-client-cert.XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  const std::string mine = tmpl;
  c.client_cert = mine + "/client.crt";
  c.client_key = mine + "/client.key";
  write_file(c.client_cert, read_file(c.dir + "/client.crt"));
  write_file(c.client_key, read_file(c.dir + "/client.key"));
  chmod(c.client_key.c_str(), 0600);
  holder = std::move(h);
  return holder->certs;
}

std::vector<std::string> TestCertificates::pooler_lines(const std::string& mode) const {
  return {"client_tls_sslmode = " + mode, "client_tls_key_file = " + server_key,
          "client_tls_cert_file = " + server_cert, "client_tls_ca_file = " + ca_cert};
}

std::vector<std::string> TestCertificates::server_lines(const std::string& mode) const {
  return {"server_tls_sslmode = " + mode, "server_tls_ca_file = " + ca_cert};
}

void set_postgres_ssl(const PgCluster& pg, bool on) {
  const TestCertificates& c = TestCertificates::get();
  if (on) {
    pg.sql("ALTER SYSTEM SET ssl_cert_file = '" + c.server_cert + "'");
    pg.sql("ALTER SYSTEM SET ssl_key_file = '" + c.server_key + "'");
    pg.sql("ALTER SYSTEM SET ssl = on");
  } else {
    pg.sql("ALTER SYSTEM RESET ssl");
    pg.sql("ALTER SYSTEM RESET ssl_cert_file");
    pg.sql("ALTER SYSTEM RESET ssl_key_file");
  }
  pg.sql("SELECT pg_reload_conf()");
  const std::string want = on ? "on" : "off";
  if (!poll_until([&] { return pg.sql("SHOW ssl").scalar() == want; })) {
    throw std::runtime_error("PostgreSQL did not turn ssl " + want + ": " + pg.log_tail());
  }
}

}  // namespace pooler_test
