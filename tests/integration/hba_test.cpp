// auth_type = hba: the rules of auth_hba_file pick the method per connection, as
// PostgreSQL's pg_hba.conf does: password methods, trust, reject, peer on the Unix
// socket, and what happens with no rule, a broken file, a reload.
#include <pwd.h>
#include <unistd.h>

#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

std::string my_user_name() {
  const passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "";
}

class Hba : public PoolerTest {
 protected:
  void SetUp() override { dir_ = make_temp_dir("pooler-it-hba"); }
  void TearDown() override {
    PoolerTest::TearDown();
    remove_temp_dir(dir_);
  }

  std::string hba_path() const { return dir_ + "/hba.conf"; }

  // The rules the tests share; `extra` goes first.
  void write_rules(const std::string& extra = "") {
    write_file(hba_path(), extra +
                               "# TYPE  DATABASE  USER  ADDRESS  METHOD\n"
                               "local   all  " +
                               my_user_name() +
                               "   peer\n"
                               "local   all  all                  peer\n"
                               "host    app       carol  127.0.0.1/32  reject\n"
                               "host    postgres  carol  127.0.0.1/32  trust\n"
                               "host    all       alice,admin  127.0.0.1/32  scram-sha-256\n"
                               "host    all       bob    127.0.0.1/32  md5\n");
  }

  void start() {
    write_rules();
    PoolerOptions o;
    o.auth_type = "hba";
    o.extra_pooler_lines = {"auth_hba_file = " + hba_path()};
    // The server logs in as alice whoever the peer-authenticated client is.
    o.extra_database_lines = {"app_as_alice = host=127.0.0.1 port=" + std::to_string(pg().port()) +
                              " dbname=app user=alice"};
    start_pooler(o);
  }

  PqClient over_tcp(const std::string& user, const std::string& password,
                    const std::string& database = "app") {
    return PqClient::connect("host=127.0.0.1 port=" + std::to_string(pooler().port()) +
                             " user=" + user + " password=" + password + " dbname=" + database);
  }
  PqClient over_unix(const std::string& user, const std::string& database) {
    return PqClient::connect("host=" + pooler().dir() + " port=" + std::to_string(pooler().port()) +
                             " user=" + user + " dbname=" + database);
  }

  std::string dir_;
};

TEST_F(Hba, PasswordRulesLogInTheirUsers) {
  start();
  PqClient alice = over_tcp("alice", "alice-pw");
  ASSERT_TRUE(alice.ok()) << alice.connect_error();
  EXPECT_EQ("alice", alice.value("SELECT current_user"));
  PqClient bob = over_tcp("bob", "bob-pw", "postgres");
  ASSERT_TRUE(bob.ok()) << bob.connect_error();
  EXPECT_EQ("bob", bob.value("SELECT current_user"));
  PqClient wrong = over_tcp("alice", "wrong");
  EXPECT_EQ("28P01", wrong.connect_sqlstate()) << wrong.connect_error();
}

TEST_F(Hba, RejectRuleAndMissingRuleRefuseWith28000InPostgresWords) {
  start();
  PqClient carol = over_tcp("carol", "carol-pw");
  EXPECT_EQ("28000", carol.connect_sqlstate()) << carol.connect_error();
  EXPECT_NE(std::string::npos,
            carol.connect_error().find("pg_hba.conf rejects connection for host \"127.0.0.1\", "
                                       "user \"carol\", database \"app\", no encryption"))
      << carol.connect_error();
  // No rule for dave at all: refused before any password is asked.
  PqClient dave = over_tcp("dave", "x");
  EXPECT_EQ("28000", dave.connect_sqlstate()) << dave.connect_error();
  EXPECT_NE(std::string::npos, dave.connect_error().find("no pg_hba.conf entry for host "
                                                         "\"127.0.0.1\", user \"dave\""))
      << dave.connect_error();
  EXPECT_NE(std::string::npos, pooler().log().find("pg_hba.conf rejects connection"));
}

TEST_F(Hba, TrustRuleNeedsNoPassword) {
  start();
  PqClient carol = over_tcp("carol", "not-her-password", "postgres");
  ASSERT_TRUE(carol.ok()) << carol.connect_error();
  EXPECT_EQ("carol", carol.value("SELECT current_user"));
}

TEST_F(Hba, PeerRuleTrustsTheUnixSocketPeerOnlyUnderItsOwnName) {
  start();
  PqClient me = over_unix(my_user_name(), "app_as_alice");
  ASSERT_TRUE(me.ok()) << me.connect_error();
  EXPECT_EQ("alice", me.value("SELECT current_user"));
  PqClient alice = over_unix("alice", "app");
  EXPECT_EQ("28000", alice.connect_sqlstate()) << alice.connect_error();
  EXPECT_NE(std::string::npos,
            alice.connect_error().find("Peer authentication failed for user \"alice\""))
      << alice.connect_error();
}

TEST_F(Hba, ReloadWithABrokenFileKeepsTheOldRulesAndAGoodOneAppliesAtOnce) {
  start();
  write_file(hba_path(), "host all all 127.0.0.1/32 md5\nhost all all db.example.com trust\n");
  PqClient console = admin();
  EXPECT_NE("no error", console.expect_error("RELOAD"));
  EXPECT_NE(std::string::npos, pooler().log().find(hba_path() + ":2: invalid IP address"))
      << pooler().log_tail();
  EXPECT_EQ("28000", over_tcp("carol", "carol-pw").connect_sqlstate());  // still rejected
  write_rules("host app carol 127.0.0.1/32 scram-sha-256\n");
  console.exec("RELOAD");
  PqClient carol = over_tcp("carol", "carol-pw");
  ASSERT_TRUE(carol.ok()) << carol.connect_error();
  EXPECT_EQ("carol", carol.value("SELECT current_user"));
}

TEST_F(Hba, SetAuthHbaFileLoadsTheNamedFileOrRefusesIt) {
  start();
  write_file(dir_ + "/broken.conf", "host all all 127.0.0.1/32 ident\n");
  write_file(dir_ + "/open.conf", "host all all 127.0.0.1/32 scram-sha-256\n");
  PqClient console = admin();
  EXPECT_EQ("22023", console.expect_error("SET auth_hba_file = '" + dir_ + "/broken.conf'"));
  EXPECT_NE(std::string::npos, console.last_error().find(dir_ + "/broken.conf:1:"))
      << console.last_error();
  EXPECT_EQ("28000", over_tcp("carol", "carol-pw").connect_sqlstate());  // old rules
  console.exec("SET auth_hba_file = '" + dir_ + "/open.conf'");
  PqClient carol = over_tcp("carol", "carol-pw");
  ASSERT_TRUE(carol.ok()) << carol.connect_error();
}

TEST_F(Hba, ABrokenFileStopsTheStartNamingFileAndLine) {
  write_file(hba_path(), "local all all peer\nhost all all 127.0.0.1/32 gss\n");
  const std::string ini = dir_ + "/pooler.ini";
  write_file(ini, "[databases]\n[pooler]\nlisten_addr = 127.0.0.1\nlisten_port = " +
                      std::to_string(free_port()) + "\nunix_socket_dir = " + dir_ +
                      "\nauth_type = hba\nauth_hba_file = " + hba_path() + "\n");
  const std::string expected = hba_path() + ":2: authentication method \"gss\" is not supported";
  for (const char* option : {"--check-config", "-v"}) {  // a check, then a real start
    SpawnOptions spawn_options;
    spawn_options.output_path = dir_ + "/out-" + std::string(option + 1) + ".log";
    EXPECT_EQ(78, run({PoolerProcess::binary(), option, ini}, spawn_options)) << option;
    EXPECT_NE(std::string::npos, read_file(spawn_options.output_path).find(expected))
        << read_file(spawn_options.output_path);
  }
  write_file(ini, "[databases]\n[pooler]\nauth_type = hba\n");
  SpawnOptions check;
  check.output_path = dir_ + "/no-file.log";
  EXPECT_EQ(78, run({PoolerProcess::binary(), "--check-config", ini}, check));
  EXPECT_NE(std::string::npos, read_file(check.output_path).find("hba needs auth_hba_file"));
}

}  // namespace
}  // namespace pooler_test
