// auth_query: users that are not in auth_file are looked up in the database, through a
// server logged in as auth_user, as PgBouncer does. The lookup runs the way PgBouncer's
// documentation recommends: a SECURITY DEFINER function that a non-superuser may call.
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "pooler_test.h"
#include "raw_connection.h"

namespace pooler_test {
namespace {

using namespace std::chrono_literals;

const char* kLookup = "auth_query = SELECT uname, phash FROM public.user_lookup($1)";

std::string without_user(const std::string& message, const std::string& user) {
  return std::regex_replace(message, std::regex(user), "<user>");
}

class AuthQuery : public PoolerTest {
 protected:
  static void SetUpTestSuite() {
    // dave (SCRAM) and erin (md5) are in the database only; frank has no password.
    pg().sql("DROP ROLE IF EXISTS dave, erin, frank, authenticator");
    pg().sql("CREATE ROLE dave LOGIN PASSWORD 'dave-pw'");
    pg().sql("SET password_encryption = 'md5'; CREATE ROLE erin LOGIN PASSWORD 'erin-pw'");
    pg().sql("CREATE ROLE frank LOGIN");
    pg().sql("CREATE ROLE authenticator LOGIN PASSWORD 'authenticator-pw'");
    pg().sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO dave", "app");
    for (const char* db : {"app", "postgres"}) {
      pg().sql(
          "CREATE OR REPLACE FUNCTION public.user_lookup(i_username text, OUT uname text, "
          "OUT phash text) RETURNS record AS $$ SELECT usename::text, passwd::text FROM "
          "pg_catalog.pg_shadow WHERE usename = i_username $$ LANGUAGE sql SECURITY DEFINER",
          db);
      pg().sql("REVOKE ALL ON FUNCTION public.user_lookup(text) FROM public", db);
      pg().sql("GRANT EXECUTE ON FUNCTION public.user_lookup(text) TO authenticator", db);
    }
  }
  static void TearDownTestSuite() {
    pg().sql("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM dave", "app");
    for (const char* db : {"app", "postgres"}) {
      pg().sql("DROP FUNCTION IF EXISTS public.user_lookup(text)", db);
    }
    pg().sql("DROP ROLE IF EXISTS dave, erin, frank, authenticator");
  }

  static PoolerOptions options(const std::string& auth_type = "scram-sha-256") {
    PoolerOptions o;
    o.auth_type = auth_type;
    o.extra_pooler_lines = {"auth_user = authenticator", kLookup};
    o.extra_userlist_lines = {"\"authenticator\" \"authenticator-pw\""};
    return o;
  }

  PqClient login(const std::string& user, const std::string& password,
                 const std::string& database = "app") {
    return PqClient::connect("host=127.0.0.1 port=" + std::to_string(pooler().port()) +
                             " user=" + user + " password='" + password + "' dbname=" + database);
  }
};

TEST_F(AuthQuery, UserOnlyInTheDatabaseLogsInWithScramAndQueries) {
  start_pooler(options());
  PqClient dave = login("dave", "dave-pw");
  ASSERT_TRUE(dave.ok()) << dave.connect_error();
  EXPECT_EQ("dave", dave.value("SELECT current_user"));
  // Transaction pooling: several clients at once need several servers, each logged in with
  // the SCRAM keys the first client's proof revealed (the secret alone cannot log in).
  std::vector<PqClient> more;
  for (int i = 0; i < 4; ++i) more.push_back(login("dave", "dave-pw"));
  for (PqClient& c : more) ASSERT_TRUE(c.ok()) << c.connect_error();
  for (PqClient& c : more) c.exec("BEGIN");
  for (PqClient& c : more) EXPECT_EQ("dave", c.value("SELECT current_user"));
  EXPECT_EQ("4", pool_stat("sv_active", "app", "dave"));
  for (PqClient& c : more) c.exec("COMMIT");
  // The lookup ran on the auth_user's own pool.
  EXPECT_NE("", pool_stat("sv_idle", "app", "authenticator"));
}

TEST_F(AuthQuery, WrongPasswordAndUnknownUserFailAlike) {
  start_pooler(options());
  PqClient wrong = login("dave", "wrong");
  EXPECT_FALSE(wrong.ok());
  EXPECT_EQ("28P01", wrong.connect_sqlstate()) << wrong.connect_error();
  PqClient unknown = login("mallory", "wrong");
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ("28P01", unknown.connect_sqlstate()) << unknown.connect_error();
  EXPECT_EQ(without_user(wrong.connect_error(), "dave"),
            without_user(unknown.connect_error(), "mallory"));
  EXPECT_TRUE(login("dave", "dave-pw").ok());
}

TEST_F(AuthQuery, Md5SecretFromTheDatabaseServesMd5Clients) {
  start_pooler(options("md5"));
  PqClient erin = login("erin", "erin-pw", "postgres");
  ASSERT_TRUE(erin.ok()) << erin.connect_error();
  EXPECT_EQ("erin", erin.value("SELECT current_user"));
  EXPECT_EQ("28P01", login("erin", "wrong", "postgres").connect_sqlstate());
}

TEST_F(AuthQuery, RoleWithoutPasswordCannotLogIn) {
  start_pooler(options("plain"));
  PqClient frank = login("frank", "any-password");
  EXPECT_FALSE(frank.ok());
  EXPECT_EQ("28P01", frank.connect_sqlstate()) << frank.connect_error();
}

TEST_F(AuthQuery, EveryLoginAsksAgainSoAChangedPasswordCountsAtOnce) {
  start_pooler(options());
  ASSERT_TRUE(login("dave", "dave-pw").ok());
  pg().sql("ALTER ROLE dave PASSWORD 'dave-pw2'");
  PqClient old_password = login("dave", "dave-pw");
  PqClient changed = login("dave", "dave-pw2");
  pg().sql("ALTER ROLE dave PASSWORD 'dave-pw'");
  EXPECT_EQ("28P01", old_password.connect_sqlstate()) << old_password.connect_error();
  ASSERT_TRUE(changed.ok()) << changed.connect_error();
  EXPECT_EQ("dave", changed.value("SELECT current_user"));
}

TEST_F(AuthQuery, AuthFileUsersDoNotNeedTheQuery) {
  PoolerOptions o = options();
  o.extra_pooler_lines = {"auth_user = authenticator", "auth_query = SELECT 'this would fail', $1"};
  start_pooler(o);
  PqClient alice = connect("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ("", pool_stat("sv_idle", "app", "authenticator"));
}

TEST_F(AuthQuery, FailingQueryEndsOnlyThatLoginAndNamesTheCauseInTheLog) {
  PoolerOptions o = options();
  o.extra_pooler_lines = {"auth_user = authenticator"};  // the default reads pg_shadow
  start_pooler(o);
  PqClient dave = login("dave", "dave-pw");
  EXPECT_FALSE(dave.ok());
  EXPECT_EQ("08006", dave.connect_sqlstate()) << dave.connect_error();
  EXPECT_NE(std::string::npos, dave.connect_error().find("authentication query failed"))
      << dave.connect_error();
  EXPECT_EQ(std::string::npos, dave.connect_error().find("pg_shadow")) << dave.connect_error();
  EXPECT_NE(std::string::npos, pooler().log().find("auth_query failed: permission denied"))
      << pooler().log_tail();
  PqClient alice = connect("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ("1", alice.value("SELECT 1"));
}

TEST_F(AuthQuery, AuthUserThatCannotLogInFailsTheLoginWithTheReason) {
  PoolerOptions o = options();
  o.extra_userlist_lines = {"\"authenticator\" \"not-its-password\""};
  start_pooler(o);
  PqClient dave = login("dave", "dave-pw");
  EXPECT_FALSE(dave.ok());
  EXPECT_EQ("08006", dave.connect_sqlstate()) << dave.connect_error();
  EXPECT_NE(std::string::npos, dave.connect_error().find("server login failed"))
      << dave.connect_error();
  PqClient alice = connect("alice");
  ASSERT_TRUE(alice.ok());
}

TEST_F(AuthQuery, AuthUserOnADatabaseLineAppliesToThatDatabaseOnly) {
  PoolerOptions o = options();
  o.extra_pooler_lines = {kLookup};
  o.extra_database_lines = {"appq = host=127.0.0.1 port=" + std::to_string(pg().port()) +
                            " dbname=app auth_user=authenticator"};
  start_pooler(o);
  PqClient via_appq = login("dave", "dave-pw", "appq");
  ASSERT_TRUE(via_appq.ok()) << via_appq.connect_error();
  EXPECT_EQ("dave", via_appq.value("SELECT current_user"));
  EXPECT_EQ("28P01", login("dave", "dave-pw", "app").connect_sqlstate());
}

TEST_F(AuthQuery, ClientThatLeavesDuringTheLookupCostsNothing) {
  start_pooler(options());
  // Many logins at once, half of them abandoned by closing the socket right after the
  // startup packet: the rest are answered and the pooler stays healthy.
  std::vector<PqClient> clients;
  for (int i = 0; i < 10; ++i) clients.push_back(login("dave", "dave-pw"));
  for (PqClient& c : clients) ASSERT_TRUE(c.ok()) << c.connect_error();
  const std::string params = std::string("user\0dave\0database\0app\0\0", 25);
  for (int i = 0; i < 20; ++i) {
    RawConnection raw(pooler().port());
    ASSERT_TRUE(
        raw.send_bytes(be32(static_cast<uint32_t>(8 + params.size())) + be32(kProtocol3) + params));
  }
  PqClient after = login("dave", "dave-pw");
  ASSERT_TRUE(after.ok()) << after.connect_error();
  EXPECT_EQ("dave", after.value("SELECT current_user"));
  // Each abandoned login is gone once the pooler has read its EOF: none stays in "login".
  size_t logging_in = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    Rows clients_now = admin().exec("SHOW CLIENTS");
    logging_in = 0;
    for (size_t r = 0; r < clients_now.size(); ++r) {
      if (clients_now.at(r, "state") == "login") ++logging_in;
    }
    if (logging_in == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(0u, logging_in);
}

// Connection churn: every pgbench transaction is a new login, so lookups queue on the
// auth_user's servers while other logins finish; none may fail or hang.
TEST_F(AuthQuery, PgbenchWithANewLoginPerTransactionHasNoFailures) {
  start_pooler(options());
  SpawnOptions bench;
  bench.as_test_user = false;
  bench.output_path = pooler().dir() + "/pgbench.log";
  bench.env = {"PGPASSWORD=dave-pw"};
  const int rc =
      run({"/usr/lib/postgresql/15/bin/pgbench", "-n", "-C", "-S", "-c", "8", "-j", "2", "-t", "40",
           "-h", "127.0.0.1", "-p", std::to_string(pooler().port()), "-U", "dave", "app"},
          bench);
  const std::string out = read_file(bench.output_path);
  ASSERT_EQ(0, rc) << out;
  expect_pgbench_clean(out);
  EXPECT_NE(std::string::npos, out.find("number of transactions actually processed: 320/320"))
      << out;
}

// The new process must open servers for a looked-up user without asking again: the secret
// and the SCRAM keys travel with the connections.
TEST_F(AuthQuery, LookedUpUserKeepsWorkingAfterATakeover) {
  PoolerOptions o = options();
  o.query_wait_timeout = 15;  // without the secret, `other` would wait for holder's server
  start_pooler(o);
  PqClient holder = login("dave", "dave-pw");
  PqClient other = login("dave", "dave-pw");
  ASSERT_TRUE(holder.ok() && other.ok());
  EXPECT_EQ("1", holder.value("SELECT 1"));
  SpawnOptions spawn_options;
  spawn_options.output_path = pooler().dir() + "/takeover.log";
  pid_t successor = spawn({PoolerProcess::binary(), "-R", pooler().ini_path()}, spawn_options);
  ASSERT_TRUE(pooler().exits_within(20s)) << "old process did not exit";
  ASSERT_TRUE(poll_until([&] {
    return read_file(spawn_options.output_path).find("old process killed, resuming work") !=
           std::string::npos;
  })) << read_file(spawn_options.output_path);
  holder.exec("BEGIN");
  EXPECT_EQ("dave", holder.value("SELECT current_user"));  // keeps the one server
  EXPECT_EQ("dave", other.value("SELECT current_user"));   // the new process opens another
  holder.exec("COMMIT");
  const std::string log = read_file(spawn_options.output_path);
  terminate(successor, SIGTERM, 10s);
  EXPECT_EQ(std::string::npos, log.find("login failed")) << log;
}

}  // namespace
}  // namespace pooler_test
