// TLS towards clients (client_tls_*): the handshake after SSLRequest, what "require" and
// "verify-ca" let in, bulk data in both directions, pgbench, and a reload that cannot
// load its certificate keeping the TLS that works. TLS towards PostgreSQL (server_tls_*):
// the shared cluster with ssl on, require and verify-full, and a server without TLS.
#include <libpq-fe.h>

#include <string>

#include "pooler_test.h"
#include "raw_connection.h"
#include "test_certificates.h"

namespace pooler_test {
namespace {

class ClientTls : public PoolerTest {
 protected:
  const TestCertificates& certs() { return TestCertificates::get(); }

  void start_with_tls(const std::string& mode) {
    PoolerOptions options;
    options.extra_pooler_lines = certs().pooler_lines(mode);
    start_pooler(options);
  }

  PqClient connect_tls(const std::string& extra = "") {
    PqClient client = PqClient::connect(pooler().conninfo("alice") + " sslmode=require " + extra);
    EXPECT_TRUE(client.ok()) << client.connect_error();
    return client;
  }

  // The client certificate (CommonName alice) logs alice in without her password (a wrong
  // one is given); `other` presenting the same certificate is refused with 28000. Returns
  // that refused login.
  PqClient expect_certificate_admits_only_alice(const std::string& other) {
    const std::string cert = " sslcert=" + certs().client_cert + " sslkey=" + certs().client_key;
    PqClient alice =
        PqClient::connect(pooler().conninfo("alice") + " sslmode=require password=wrong" + cert);
    EXPECT_TRUE(alice.ok()) << alice.connect_error();
    if (alice.ok()) {
      EXPECT_EQ("alice", alice.value("SELECT current_user"));
    }
    PqClient refused = PqClient::connect(pooler().conninfo(other) + " sslmode=require" + cert);
    EXPECT_EQ("28000", refused.connect_sqlstate()) << refused.connect_error();
    return refused;
  }
};

TEST_F(ClientTls, RequireServesTlsClientsAndShowsTheirProtocol) {
  start_with_tls("require");
  PqClient client = connect_tls();
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(1, PQsslInUse(client.raw()));
  EXPECT_EQ("1", client.value("SELECT 1"));
  PqClient admin =
      PqClient::connect(pooler().conninfo("admin", PoolerProcess::admin_db()) + " sslmode=require");
  ASSERT_TRUE(admin.ok()) << admin.connect_error();
  Rows clients = admin.exec("SHOW CLIENTS");
  const std::string tls = clients.at(clients.only("user", "alice"), "tls");
  EXPECT_EQ(0u, tls.rfind("TLSv1.3/", 0)) << "tls column: " << tls;
  EXPECT_NE(std::string::npos, pooler().log().find("user=alice tls=TLSv1.3/"));
}

TEST_F(ClientTls, RequireRefusesPlaintextOverTcpButNotOverTheUnixSocket) {
  start_with_tls("require");
  PqClient plain = pooler().connect("alice");
  EXPECT_FALSE(plain.ok());
  EXPECT_EQ("28000", plain.connect_sqlstate()) << plain.connect_error();
  EXPECT_NE(std::string::npos, plain.connect_error().find("SSL required")) << plain.connect_error();
  PqClient local =
      PqClient::connect("host=" + pooler().dir() + " port=" + std::to_string(pooler().port()) +
                        " user=alice password=" + password_of("alice") + " dbname=app");
  ASSERT_TRUE(local.ok()) << local.connect_error();
  EXPECT_EQ("1", local.value("SELECT 1"));
}

TEST_F(ClientTls, PreferServesBothPlainAndTlsClients) {
  start_with_tls("prefer");
  PqClient tls = connect_tls();
  PqClient plain = connect();
  EXPECT_EQ(1, PQsslInUse(tls.raw()));
  EXPECT_EQ(0, PQsslInUse(plain.raw()));
  EXPECT_EQ("2", tls.value("SELECT 2"));
  EXPECT_EQ("3", plain.value("SELECT 3"));
}

TEST_F(ClientTls, LargeQueriesAndResultsCrossInManyRecords) {
  start_with_tls("require");
  PqClient client = connect_tls();
  // 200 kB of query text: many TLS records from the client, more than one read buffer.
  const std::string big(200000, 'x');
  EXPECT_EQ("200000", client.value("SELECT length('" + big + "')"));
  // About 5 MB of rows back, through partial TLS writes when the client reads slowly.
  Rows rows = client.exec("SELECT g, repeat('y', 100) FROM generate_series(1, 50000) g");
  ASSERT_EQ(50000u, rows.size());
  EXPECT_EQ("50000", rows.rows.back()[0]);
  EXPECT_EQ(std::string(100, 'y'), rows.rows.back()[1]);
  EXPECT_EQ("4", client.value("SELECT 4"));
}

TEST_F(ClientTls, PgbenchOverTlsHasNoFailures) {
  start_with_tls("require");
  auto cmd = pgbench_command({"-S", "-c", "8", "-t", "200"});
  cmd.options.env.push_back("PGSSLMODE=require");
  ASSERT_EQ(0, run(cmd.argv, cmd.options)) << read_file(cmd.options.output_path);
  expect_pgbench_clean(read_file(cmd.options.output_path));
  EXPECT_NE(std::string::npos, pooler().log().find("tls=TLSv1.3/"));
}

TEST_F(ClientTls, VerifyCaLetsInOnlyClientsWithACertificateFromTheCa) {
  start_with_tls("verify-ca");
  PqClient without = PqClient::connect(pooler().conninfo("alice") + " sslmode=require");
  EXPECT_FALSE(without.ok());
  PqClient with = connect_tls("sslcert=" + certs().client_cert + " sslkey=" + certs().client_key);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ("1", with.value("SELECT 1"));
  EXPECT_NE(std::string::npos, pooler().log().find("TLS handshake failed"));
}

// auth_type = hba with a cert rule: the certificate's CommonName (alice) is the user it
// logs in, with no password asked.
TEST_F(ClientTls, HbaCertRuleLogsInTheUserTheCertificateNames) {
  const std::string dir = make_temp_dir("pooler-it-hba");
  write_file(dir + "/hba.conf",
             "hostssl all all 127.0.0.1/32 cert\nhost all all 127.0.0.1/32 reject\n");
  PoolerOptions options;
  options.auth_type = "hba";
  options.extra_pooler_lines = certs().pooler_lines("verify-ca");
  options.extra_pooler_lines.push_back("auth_hba_file = " + dir + "/hba.conf");
  start_pooler(options);
  PqClient carol = expect_certificate_admits_only_alice("carol");
  EXPECT_NE(std::string::npos,
            carol.connect_error().find("certificate authentication failed for user \"carol\""))
      << carol.connect_error();
  remove_temp_dir(dir);
}

// auth_type = cert: a login is accepted only for the certificate's CommonName, with no
// password asked; another user name with the same certificate is refused.
TEST_F(ClientTls, AuthTypeCertLogsInTheUserTheCertificateNames) {
  PoolerOptions options;
  options.auth_type = "cert";
  options.extra_pooler_lines = certs().pooler_lines("verify-ca");
  start_pooler(options);
  expect_certificate_admits_only_alice("bob");
}

TEST_F(ClientTls, AReloadThatCannotLoadItsCertificateKeepsTheWorkingOne) {
  start_with_tls("require");
  PqClient before = connect_tls();
  PoolerOptions broken = pooler().options();
  for (auto& line : broken.extra_pooler_lines) {
    if (line.rfind("client_tls_cert_file", 0) == 0)
      line = "client_tls_cert_file = /nonexistent.crt";
  }
  pooler().rewrite_config(broken);
  pooler().reload();
  ASSERT_TRUE(poll_until([&] {
    return pooler().log().find("config reload failed") != std::string::npos;
  })) << pooler().log_tail();
  EXPECT_NE(std::string::npos, pooler().log().find("client_tls_cert_file: cannot load"));
  EXPECT_EQ("1", before.value("SELECT 1"));
  PqClient after = connect_tls();
  EXPECT_EQ("2", after.value("SELECT 2"));
}

TEST_F(ClientTls, AKeyThatCannotLoadStopsTheStartWithTheSettingNamed) {
  start_pooler();
  PoolerOptions broken;
  broken.extra_pooler_lines = certs().pooler_lines("require");
  broken.extra_pooler_lines.push_back("client_tls_key_file = /nonexistent.key");
  pooler().rewrite_ini(pooler().render_ini(broken));
  SpawnOptions spawn_options;
  spawn_options.output_path = pooler().dir() + "/check.log";
  EXPECT_EQ(78,
            run({PoolerProcess::binary(), "--check-config", pooler().ini_path()}, spawn_options));
  // Started for real, it refuses before it binds or touches anything.
  EXPECT_EQ(78, run({PoolerProcess::binary(), pooler().ini_path()}, spawn_options));
  const std::string out = read_file(spawn_options.output_path);
  EXPECT_NE(std::string::npos, out.find("client_tls_key_file: cannot load /nonexistent.key"))
      << out;
}

// Bytes sent right behind an SSLRequest, before our answer, would count as protected once
// TLS is up, though anyone on the path could have put them there (CVE-2021-23214).
TEST_F(ClientTls, PlaintextBehindAnSslRequestGetsAProtocolViolation) {
  start_with_tls("prefer");
  RawConnection raw(pooler().port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_bytes(be32(8) + be32(80877103) + startup_packet(true)));
  std::optional<BackendMessage> m = raw.next();
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ('E', m->type);
  auto fields = error_fields(m->body);
  EXPECT_EQ("08P01", fields['C']);
  EXPECT_EQ("received unencrypted data after SSL request", fields['M']);
  EXPECT_TRUE(raw.closed_by_peer());
}

TEST_F(ClientTls, GarbageOrSilenceInsteadOfAHandshakeClosesOnlyThatClient) {
  PoolerOptions options;
  options.extra_pooler_lines = certs().pooler_lines("require");
  options.extra_pooler_lines.push_back("client_login_timeout = 1");
  start_pooler(options);
  PqClient bystander = connect_tls();
  RawConnection garbage(pooler().port());
  ASSERT_TRUE(garbage.connected());
  ASSERT_TRUE(garbage.send_bytes(be32(8) + be32(80877103)));
  EXPECT_EQ(std::optional<char>('S'), garbage.next_byte());
  ASSERT_TRUE(garbage.send_bytes("this is not a TLS ClientHello\r\n"));
  EXPECT_TRUE(garbage.closed_by_peer());
  RawConnection silent(pooler().port());
  ASSERT_TRUE(silent.connected());
  ASSERT_TRUE(silent.send_bytes(be32(8) + be32(80877103)));
  EXPECT_EQ(std::optional<char>('S'), silent.next_byte());
  EXPECT_TRUE(silent.closed_by_peer(std::chrono::seconds(10)))
      << "a handshake that never starts must end at client_login_timeout";
  EXPECT_NE(std::string::npos, pooler().log().find("TLS handshake failed"));
  EXPECT_EQ("1", bystander.value("SELECT 1"));
}

class ServerTls : public PoolerTest {
 protected:
  void SetUp() override {
    PoolerTest::SetUp();
    set_postgres_ssl(pg(), true);
  }
  void TearDown() override {
    set_postgres_ssl(pg(), false);
    PoolerTest::TearDown();
  }
  void start_with_server_tls(const std::string& mode, std::vector<std::string> more = {}) {
    PoolerOptions options;
    options.extra_pooler_lines = TestCertificates::get().server_lines(mode);
    options.extra_pooler_lines.insert(options.extra_pooler_lines.end(), more.begin(), more.end());
    start_pooler(options);
  }
};

TEST_F(ServerTls, RequireEncryptsServerConnectionsUnderLoadAndForLargeResults) {
  start_with_server_tls("require");
  PqClient client = connect();
  // pg_stat_ssl describes the backend this statement runs on: the pooler's connection.
  EXPECT_EQ("t", client.value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
  Rows servers = admin().exec("SHOW SERVERS");
  ASSERT_GE(servers.size(), 1u);
  EXPECT_EQ(0u, servers.at(0, "tls").rfind("TLSv1.3/", 0)) << servers.at(0, "tls");
  Rows rows = client.exec("SELECT g, repeat('z', 100) FROM generate_series(1, 50000) g");
  ASSERT_EQ(50000u, rows.size());
  EXPECT_EQ("50000", rows.rows.back()[0]);
  const std::string big(200000, 'x');
  EXPECT_EQ("200000", client.value("SELECT length('" + big + "')"));
  auto cmd = pgbench_command({"-S", "-c", "8", "-t", "200"});
  ASSERT_EQ(0, run(cmd.argv, cmd.options)) << read_file(cmd.options.output_path);
  expect_pgbench_clean(read_file(cmd.options.output_path));
  EXPECT_EQ("0", pg().sql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING "
                          "(pid) WHERE a.usename = 'alice' AND NOT s.ssl")
                     .scalar());
}

TEST_F(ServerTls, VerifyFullAcceptsTheRightCertificateAndRefusesAnUnknownCa) {
  start_with_server_tls("verify-full");
  PqClient client = connect();
  EXPECT_EQ("t", client.value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));

  // Trusting another CA (the client certificate stands in for one): the server's
  // certificate does not verify, and the login fails instead of going on unencrypted.
  start_with_server_tls("verify-full",
                        {"server_tls_ca_file = " + TestCertificates::get().dir + "/client.crt"});
  PqClient refused = pooler().connect("alice");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(std::string::npos, pooler().log().find("certificate verify failed"))
      << pooler().log_tail();
}

TEST_F(ClientTls, ServerTlsRequireFailsAgainstAServerWithoutTls) {
  PoolerOptions options;
  options.extra_pooler_lines = {"server_tls_sslmode = require"};
  start_pooler(options);
  PqClient refused = pooler().connect("alice");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(std::string::npos, pooler().log().find("server does not accept TLS"))
      << pooler().log_tail();
  // prefer goes on in plaintext.
  options.extra_pooler_lines = {"server_tls_sslmode = prefer"};
  start_pooler(options);
  PqClient plain = connect();
  EXPECT_EQ("f", plain.value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
}

}  // namespace
}  // namespace pooler_test
