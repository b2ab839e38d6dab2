// Online takeover (pooler -R): a second process takes listeners, clients and servers from a
// running one over its Unix socket, and clients keep their connections.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "pooler_test.h"
#include "test_certificates.h"

namespace pooler_test {
namespace {

using namespace std::chrono_literals;

class Takeover : public PoolerTest {
 protected:
  void TearDown() override {
    if (new_pid_ > 0) {
      if (HasFailure()) {
        std::cerr << "---- new process log ----\n"
                  << tail(read_file(new_log()), 60) << "\n---- end ----\n";
      }
      terminate(new_pid_, SIGTERM, 10s);
    }
    PoolerTest::TearDown();
  }

  std::string new_log() const { return pooler_dir_ + "/takeover.log"; }

  // Starts `pooler -R` on the same config as the running pooler, as the same user.
  pid_t start_takeover(const std::vector<std::string>& env = {},
                       const std::string& binary = PoolerProcess::binary()) {
    pooler_dir_ = pooler().dir();
    SpawnOptions options;
    options.output_path = new_log();
    options.env = env;
    new_pid_ = spawn({binary, "-v", "-R", pooler().ini_path()}, options);
    return new_pid_;
  }

  // The old process exited and the new one is up and holds the pidfile.
  void expect_handover_completes() {
    ASSERT_TRUE(pooler().exits_within(20s)) << "old process did not exit";
    // PgBouncer and pooler both log this line once the old process is gone.
    ASSERT_TRUE(poll_until([&] {
      return read_file(new_log()).find("old process killed, resuming work") != std::string::npos;
    })) << read_file(new_log());
    ASSERT_TRUE(still_running(new_pid_));
    // The pidfile names the new process once the old one has removed its own.
    const std::string pidfile = pooler_dir_ + "/pooler.pid";
    EXPECT_TRUE(poll_until([&] {
      const std::string text = read_file(pidfile);
      return text.substr(0, text.find('\n')) == std::to_string(new_pid_);
    })) << "pidfile: "
        << read_file(pidfile);
  }

  // Waits for a new process that is expected to give up: its exit code, 128 + the signal if
  // a signal ended it, or -1 if it still runs after 30 s (TearDown stops it then).
  int new_process_exit_code(pid_t pid) {
    int status = wait_for_exit(pid, 30s);
    if (status == -1) return -1;
    new_pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // The new process died after it had served what it took: the old one takes it back.
  void expect_old_process_takes_back() {
    EXPECT_TRUE(poll_until([&] {
      return pooler().log().find("died before SHUTDOWN: taking back") != std::string::npos;
    })) << pooler().log_tail();
  }

  // `client` runs a query; its cancel key (as libpq keeps it) must end it with 57014.
  static void cancel_and_expect_57014(PqClient& client) {
    PGcancel* cancel = PQgetCancel(client.raw());
    char err[256];
    EXPECT_EQ(1, PQcancel(cancel, err, sizeof err)) << err;
    PQfreeCancel(cancel);
    PGresult* r = PQgetResult(client.raw());
    ASSERT_NE(nullptr, r);
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    EXPECT_STREQ("57014", state ? state : "(none)");
    PQclear(r);
    while ((r = PQgetResult(client.raw()))) PQclear(r);
  }

  void expect_old_process_resumes() {
    EXPECT_TRUE(poll_until([&] {
      return pooler().log().find("resuming normal operation") != std::string::npos;
    })) << pooler().log_tail();
  }

  // The new process died at `point` on purpose; the old one must go on serving.
  void expect_takeover_failure_leaves_old_serving(const std::string& point) {
    PqClient idle = connect();
    EXPECT_EQ("1", idle.value("SELECT 1"));
    PqClient in_tx = connect();
    in_tx.exec("BEGIN");
    in_tx.exec("CREATE TEMP TABLE t (n int) ON COMMIT DROP");
    in_tx.exec("INSERT INTO t VALUES (7)");
    pid_t pid = start_takeover({"POOLER_TEST_TAKEOVER_ABORT_AT=" + point});
    EXPECT_EQ(3, new_process_exit_code(pid));
    expect_old_process_resumes();
    EXPECT_EQ("2", idle.value("SELECT 2"));
    EXPECT_EQ("7", in_tx.value("SELECT n FROM t"));  // the same transaction, on its server
    in_tx.exec("COMMIT");
    PqClient fresh = connect();
    EXPECT_EQ("3", fresh.value("SELECT 3"));
  }

  // pgbench, 10 clients on 5 servers for 6 s, with a takeover in the middle.
  void pgbench_through_takeover(const std::vector<std::string>& extra_args,
                                const std::string& pool_mode = "transaction") {
    PoolerOptions options;
    options.default_pool_size = 5;
    options.pool_mode = pool_mode;
    start_pooler(options);
    std::vector<std::string> args = {"-c", "10", "-T", "6"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    PgbenchCommand bench = pgbench_command(args);
    pid_t pgbench = spawn(bench.argv, bench.options);
    ASSERT_TRUE(poll_until([&] { return pool_stat("sv_active") != ""; }));
    std::this_thread::sleep_for(1s);  // let the load settle in; not a timing assertion
    start_takeover();
    expect_handover_completes();
    int status = wait_for_exit(pgbench, 60s);
    std::string out = read_file(bench.options.output_path);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    expect_pgbench_clean(out);
  }

  pid_t new_pid_ = -1;
  std::string pooler_dir_;
};

TEST_F(Takeover, IdleClientsMoveAtOnceWhileATransactionFinishesInTheOldProcess) {
  start_pooler();
  PqClient idle = connect();
  PqClient in_tx = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  in_tx.exec("BEGIN");
  in_tx.exec("CREATE TEMP TABLE t_takeover (n int) ON COMMIT DROP");
  std::string backend_before = in_tx.value("SELECT pg_backend_pid()");

  start_takeover();
  // No global pause: the new process serves the idle client and new connections while
  // the transaction is still open in the old one.
  ASSERT_TRUE(poll_until([&] {
    return read_file(new_log()).find("follow at their next idle moment") != std::string::npos;
  })) << read_file(new_log());
  EXPECT_EQ("2", idle.value("SELECT 2"));
  PqClient fresh = connect();
  EXPECT_EQ("4", fresh.value("SELECT 4"));
  EXPECT_NE(std::string::npos, read_file(new_log()).find("login attempt"));
  EXPECT_TRUE(still_running(pooler().pid())) << "the old process serves the transaction";

  in_tx.exec("INSERT INTO t_takeover VALUES (1)");
  EXPECT_EQ(backend_before, in_tx.value("SELECT pg_backend_pid()"));
  in_tx.exec("COMMIT");
  expect_handover_completes();
  EXPECT_EQ("3", in_tx.value("SELECT 3"));
  EXPECT_EQ("5", idle.value("SELECT 5"));
}

TEST_F(Takeover, ATransactionStillOpenAtTakeoverTimeoutGetsACleanErrorAndOthersMove) {
  PoolerOptions options;
  options.extra_pooler_lines = {"takeover_timeout = 1"};
  start_pooler(options);
  PqClient idle = connect();
  PqClient in_tx = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  in_tx.exec("BEGIN");
  start_takeover();
  expect_handover_completes();
  EXPECT_EQ("2", idle.value("SELECT 2"));
  EXPECT_EQ("57P01", in_tx.expect_error("SELECT 3")) << in_tx.last_error();
  EXPECT_NE(std::string::npos, read_file(new_log()).find("still busy in the old process"));
}

// A TLS client cannot move (its keys live in the old process's OpenSSL objects): it gets
// 57P01 once idle, while plain clients move; the new process takes TLS logins at once.
TEST_F(Takeover, TlsClientsGetACleanErrorWhilePlainClientsMove) {
  PoolerOptions options;
  options.extra_pooler_lines = TestCertificates::get().pooler_lines("prefer");
  start_pooler(options);
  PqClient plain = connect();
  PqClient tls = PqClient::connect(pooler().conninfo("alice") + " sslmode=require");
  ASSERT_TRUE(tls.ok()) << tls.connect_error();
  EXPECT_EQ("1", plain.value("SELECT 1"));
  EXPECT_EQ("1", tls.value("SELECT 1"));
  start_takeover();
  expect_handover_completes();
  EXPECT_EQ("2", plain.value("SELECT 2"));
  EXPECT_EQ("57P01", tls.expect_error("SELECT 3")) << tls.last_error();
  EXPECT_NE(std::string::npos, tls.last_error().find("a TLS connection cannot move"))
      << tls.last_error();
  PqClient tls_again = PqClient::connect(pooler().conninfo("alice") + " sslmode=require");
  ASSERT_TRUE(tls_again.ok()) << tls_again.connect_error();
  EXPECT_EQ("4", tls_again.value("SELECT 4"));
}

// Servers over TLS cannot move either. In transaction pooling that costs nobody: the idle
// TLS servers are closed, the clients move and the new process opens its own TLS servers.
// In session pooling a client would lose its server's session, so it gets 57P01.
class TakeoverWithServerTls : public Takeover {
 protected:
  void SetUp() override {
    Takeover::SetUp();
    set_postgres_ssl(pg(), true);
  }
  void TearDown() override {
    Takeover::TearDown();
    set_postgres_ssl(pg(), false);
  }
};

TEST_F(TakeoverWithServerTls, TransactionClientsMoveAndGetNewTlsServers) {
  PoolerOptions options;
  options.extra_pooler_lines = TestCertificates::get().server_lines("require");
  start_pooler(options);
  PqClient a = connect();
  PqClient b = connect();
  const std::string ssl_in_use = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
  EXPECT_EQ("t", a.value(ssl_in_use));
  EXPECT_EQ("t", b.value(ssl_in_use));
  start_takeover();
  expect_handover_completes();
  EXPECT_EQ("t", a.value(ssl_in_use));
  EXPECT_EQ("t", b.value(ssl_in_use));
  EXPECT_NE(std::string::npos, read_file(new_log()).find("adopted 2 clients and 0 servers"))
      << read_file(new_log());
}

TEST_F(TakeoverWithServerTls, ASessionClientWithATlsServerGetsACleanError) {
  PoolerOptions options;
  options.pool_mode = "session";
  options.extra_pooler_lines = TestCertificates::get().server_lines("require");
  start_pooler(options);
  PqClient session = connect();
  EXPECT_EQ("1", session.value("SELECT 1"));
  start_takeover();
  expect_handover_completes();
  EXPECT_EQ("57P01", session.expect_error("SELECT 2")) << session.last_error();
  PqClient again = connect();
  EXPECT_EQ("3", again.value("SELECT 3"));
}

// Past the first batch the new process serves what it received; if it dies then, the old
// one resumes its listeners and what it still held, and takes back from the new process's
// slots every connection that was between transactions.
TEST_F(Takeover, NewProcessDyingMidHandOverLeavesEveryClientServedByTheOldOne) {
  start_pooler();
  PqClient idle = connect();
  PqClient in_tx = connect();
  idle.exec("SET application_name = 'moved_and_back'");
  EXPECT_EQ("1", idle.value("SELECT 1"));
  in_tx.exec("BEGIN");
  pid_t pid = start_takeover({"POOLER_TEST_TAKEOVER_ABORT_AT=rolling"});
  ASSERT_EQ(3, new_process_exit_code(pid));
  expect_old_process_resumes();
  EXPECT_EQ("2", in_tx.value("SELECT 2"));
  in_tx.exec("COMMIT");
  PqClient fresh = connect();
  EXPECT_EQ("3", fresh.value("SELECT 3"));
  // It had moved to the new process; the old one took it back.
  expect_old_process_takes_back();
  EXPECT_EQ("4", idle.value("SELECT 4")) << idle.last_error();
  EXPECT_EQ("moved_and_back", idle.value("SHOW application_name"));
}

// The literal "just before SHUTDOWN": every connection has moved and the new process
// serves them all. It dies; the old process has kept its copies and reads what state each
// one was left in: every client was between transactions, so every client goes on, with
// its parameters and its cancel key.
TEST_F(Takeover, NewProcessDyingJustBeforeShutdownGivesEveryClientBackToTheOldOne) {
  start_pooler();
  PqClient a = connect();
  PqClient b = connect();
  a.exec("SET application_name = 'client_a'");
  b.exec("SET DateStyle = 'SQL, DMY'");
  EXPECT_EQ("1", a.value("SELECT 1"));
  pid_t pid = start_takeover({"POOLER_TEST_TAKEOVER_ABORT_AT=shutdown"});
  ASSERT_EQ(3, new_process_exit_code(pid));
  // It got as far as SHUTDOWN: everything had moved.
  EXPECT_NE(std::string::npos, read_file(new_log()).find("every connection has moved"))
      << read_file(new_log());
  expect_old_process_resumes();
  expect_old_process_takes_back();
  EXPECT_EQ("client_a", a.value("SHOW application_name")) << a.last_error();
  EXPECT_EQ("SQL, DMY", b.value("SHOW DateStyle")) << b.last_error();
  a.exec("BEGIN");
  a.exec("CREATE TEMP TABLE t (n int) ON COMMIT DROP");
  a.exec("INSERT INTO t VALUES (5)");
  EXPECT_EQ("5", a.value("SELECT n FROM t"));
  a.exec("COMMIT");
  // The cancel key it got from the first process still reaches its query.
  const std::string sleep_sql = "SELECT pg_sleep(30), 'taken back'";
  ASSERT_EQ(1, PQsendQuery(b.raw(), sleep_sql.c_str()));
  ASSERT_TRUE(poll_until([&] { return pg().is_running(sleep_sql); }));
  cancel_and_expect_57014(b);
  EXPECT_EQ("2", b.value("SELECT 2"));
  PqClient fresh = connect();
  EXPECT_EQ("3", fresh.value("SELECT 3"));
  EXPECT_TRUE(still_running(pooler().pid()));
}

// Session pooling: the server goes back to the old process together with its client, so
// the temp table, the prepared statement and the settings are still there.
TEST_F(Takeover, ASessionClientIsTakenBackWithItsServerWhenTheNewProcessDiesBeforeShutdown) {
  PoolerOptions options;
  options.pool_mode = "session";
  start_pooler(options);
  PqClient client = connect();
  client.exec("CREATE TEMP TABLE kept (n int)");
  client.exec("INSERT INTO kept VALUES (42)");
  client.exec("PREPARE doubled AS SELECT $1::int * 2");
  client.exec("SET application_name = 'session_back'");
  const std::string backend = client.value("SELECT pg_backend_pid()");
  pid_t pid = start_takeover({"POOLER_TEST_TAKEOVER_ABORT_AT=shutdown"});
  ASSERT_EQ(3, new_process_exit_code(pid));
  expect_old_process_takes_back();
  EXPECT_EQ(backend, client.value("SELECT pg_backend_pid()")) << client.last_error();
  EXPECT_EQ("42", client.value("SELECT n FROM kept"));
  EXPECT_EQ("8", client.value("EXECUTE doubled(4)"));
  EXPECT_EQ("session_back", client.value("SHOW application_name"));
}

// Session pooling, a link made in the new process: a client that moved without a server gets
// a server that moved idle, through a parameter sync whose answer carries no ParameterStatus
// (the server refuses the client's TimeZone, which libpq sends from PGTZ). The link must
// still reach the slots: taken back, the client is on that server, with its temp table, and
// the server is not idle in the pool with someone else's session on it.
TEST_F(Takeover, ASessionLinkMadeInTheNewProcessThroughARefusedSyncIsTakenBackWhole) {
  PoolerOptions options;
  options.pool_mode = "session";
  start_pooler(options);
  {
    // Two servers left idle: `holds` takes one, the other moves idle to the new process.
    PqClient warm1 = connect();
    PqClient warm2 = connect();
    EXPECT_EQ("1", warm1.value("SELECT 1"));
    EXPECT_EQ("1", warm2.value("SELECT 1"));
  }
  ASSERT_TRUE(poll_until([&] { return pool_stat("sv_idle") == "2"; }));
  setenv("PGTZ", "No/Such_Zone", 1);
  PqClient linked_late = connect();  // logged in, no server yet
  unsetenv("PGTZ");
  PqClient holds = connect();  // keeps the hand-over open until it commits
  holds.exec("BEGIN");
  holds.exec("SELECT 1");
  pid_t pid = start_takeover({"POOLER_TEST_TAKEOVER_ABORT_AT=shutdown"});
  ASSERT_TRUE(poll_until([&] {
    return read_file(new_log()).find("follow at their next idle moment") != std::string::npos;
  })) << read_file(new_log());
  linked_late.exec("CREATE TEMP TABLE kept (n int)");  // linked in the new process
  linked_late.exec("INSERT INTO kept VALUES (9)");
  const std::string backend = linked_late.value("SELECT pg_backend_pid()");
  const std::string new_process = read_file(new_log());
  EXPECT_NE(std::string::npos, new_process.find("pooler query failed"))
      << "the sync was not refused: " << new_process;
  EXPECT_EQ(std::string::npos, new_process.find("new connection to server"))
      << "linked to a server of its own, not to the one that moved: " << new_process;
  holds.exec("COMMIT");  // the last one moves; the new process dies at SHUTDOWN
  ASSERT_EQ(3, new_process_exit_code(pid));
  expect_old_process_takes_back();
  // Both pairs linked again, no server idle: before either client says a word.
  EXPECT_EQ("2", pool_stat("sv_active"));
  EXPECT_EQ("0", pool_stat("sv_idle"));
  EXPECT_EQ(backend, linked_late.value("SELECT pg_backend_pid()")) << linked_late.last_error();
  EXPECT_EQ("9", linked_late.value("SELECT n FROM kept"));
  EXPECT_EQ("1", holds.value("SELECT 1"));
}

// The userlist holds only alice's SCRAM secret: the pooler can log in to PostgreSQL as her
// only with the keys learned from her login. A server the new process opens after the
// takeover, with no new login of alice's, proves the keys came along.
TEST_F(Takeover, ScramPassThroughKeysCarryOverForNewServers) {
  PoolerOptions options;
  options.alice_scram_secret = true;
  start_pooler(options);
  PqClient holder = connect();
  PqClient other = connect();
  EXPECT_EQ("1", holder.value("SELECT 1"));
  start_takeover();
  expect_handover_completes();
  holder.exec("BEGIN");
  EXPECT_EQ("alice", holder.value("SELECT current_user"));  // keeps the one server
  EXPECT_EQ("alice", other.value("SELECT current_user"));   // needs a second one
  holder.exec("COMMIT");
}

// fds travel only to a peer with our uid over the Unix socket: never over TCP.
TEST_F(Takeover, ShowFdsIsRefusedOverTcp) {
  start_pooler();
  PqClient admin_tcp = admin();
  EXPECT_EQ("42501", admin_tcp.expect_error("SHOW FDS")) << admin_tcp.last_error();
  EXPECT_EQ("1", connect().value("SELECT 1"));
}

// The pooler runs as pooler-test and this test as root: on the Unix socket, root is just
// another user. The takeover user's passwordless login is refused, and an admin who logs
// in with a password still gets no sockets.
TEST_F(Takeover, ShowFdsIsRefusedOnTheUnixSocketToAnotherUid) {
  start_pooler();
  ASSERT_EQ(0u, geteuid()) << "this test needs to run as root";
  const std::string socket = "host=" + pooler().dir() + " port=" + std::to_string(pooler().port());
  PqClient takeover_user = PqClient::connect(socket + " user=pgbouncer dbname=pooler");
  EXPECT_FALSE(takeover_user.ok()) << "another uid logged in as the takeover peer";
  // Asked for a password like anybody else, which it does not have.
  EXPECT_NE(std::string::npos, takeover_user.connect_error().find("password"))
      << takeover_user.connect_error();
  PqClient admin_unix =
      PqClient::connect(socket + " user=admin password=" + password_of("admin") + " dbname=pooler");
  ASSERT_TRUE(admin_unix.ok()) << admin_unix.connect_error();
  EXPECT_EQ("42501", admin_unix.expect_error("SHOW FDS")) << admin_unix.last_error();
  EXPECT_EQ("1", connect().value("SELECT 1"));
}

TEST_F(Takeover, EveryTrackedParameterAndTheStatsTotalsCarryOver) {
  PoolerOptions options;
  options.default_pool_size = 1;
  start_pooler(options);
  PqClient a = connect();
  PqClient b = connect();
  a.exec("SET application_name = 'client-a'");
  a.exec("SET IntervalStyle = 'iso_8601'");
  EXPECT_EQ("", b.value("SHOW application_name"));
  auto xacts = [&]() -> long {
    Rows stats = admin().exec("SHOW STATS");
    for (size_t i = 0; i < stats.size(); ++i) {
      if (stats.at(i, "database") == "app") return std::stol(stats.at(i, "total_xact_count"));
    }
    return -1;
  };
  a.exec("SET TimeZone = 'Asia/Tokyo'");
  a.exec("SET DateStyle = 'SQL, DMY'");
  const long before = xacts();
  ASSERT_GT(before, 0);
  start_takeover();
  expect_handover_completes();
  EXPECT_GE(xacts(), before);  // totals continue, they do not restart at zero
  // One server for both: each client still gets its own settings back.
  EXPECT_EQ("", b.value("SHOW application_name"));
  EXPECT_EQ("client-a", a.value("SHOW application_name"));
  EXPECT_EQ("iso_8601", a.value("SHOW IntervalStyle"));
  EXPECT_EQ("postgres", b.value("SHOW IntervalStyle"));
  // What each client was told in ParameterStatus is what the server it runs on now has,
  // for every parameter pooler tracks.
  for (PqClient* c : {&a, &b}) {
    for (const char* name : {"client_encoding", "DateStyle", "TimeZone",
                             "standard_conforming_strings", "application_name", "IntervalStyle"}) {
      const char* told = PQparameterStatus(c->raw(), name);
      ASSERT_NE(nullptr, told) << name;
      EXPECT_EQ(told, c->value(std::string("SHOW ") + name)) << name;
    }
  }
  EXPECT_STREQ("Asia/Tokyo", PQparameterStatus(a.raw(), "TimeZone"));
  EXPECT_STREQ("SQL, DMY", PQparameterStatus(a.raw(), "DateStyle"));
}

TEST_F(Takeover, SessionClientKeepsItsServerAndTempTable) {
  PoolerOptions options;
  options.pool_mode = "session";
  start_pooler(options);
  PqClient client = connect();
  client.exec("CREATE TEMP TABLE kept (n int)");
  client.exec("INSERT INTO kept VALUES (42)");
  start_takeover();
  expect_handover_completes();
  EXPECT_EQ("42", client.value("SELECT n FROM kept"));
}

// Transaction pooling: the statements live under each client's names in pooler, not on one
// server, so the names travel with the client.
TEST_F(Takeover, TransactionPoolingClientsKeepTheirPreparedStatements) {
  PoolerOptions options;
  options.default_pool_size = 1;
  start_pooler(options);
  PqClient a = connect();
  PqClient b = connect();
  ASSERT_EQ("", a.prepare("s", "SELECT $1::int * 2"));
  ASSERT_EQ("", b.prepare("s", "SELECT 'b:' || $1"));
  ASSERT_EQ("", b.prepare("t", "SELECT 't'"));
  start_takeover();
  expect_handover_completes();
  EXPECT_EQ("42", a.exec_prepared("s", {"21"}));
  EXPECT_EQ("b:1", b.exec_prepared("s", {"1"}));
  EXPECT_EQ("t", b.exec_prepared("t"));
  EXPECT_EQ("42P05", a.prepare("s", "SELECT 0"));  // the name is still taken
}

// Two clients sleep on two servers after the takeover: each one's old cancel key stops its
// own query and leaves the other running.
TEST_F(Takeover, CancelKeysIssuedBeforeStillCancelTheRightQueryAfter) {
  start_pooler();
  PqClient first = connect();
  PqClient second = connect();
  EXPECT_EQ("1", first.value("SELECT 1"));
  EXPECT_EQ("1", second.value("SELECT 1"));
  start_takeover();
  expect_handover_completes();

  const std::string first_sql = "SELECT pg_sleep(30), 'first'";
  const std::string second_sql = "SELECT pg_sleep(30), 'second'";
  ASSERT_EQ(1, PQsendQuery(first.raw(), first_sql.c_str()));
  ASSERT_EQ(1, PQsendQuery(second.raw(), second_sql.c_str()));
  ASSERT_TRUE(
      poll_until([&] { return pg().is_running(first_sql) && pg().is_running(second_sql); }));
  cancel_and_expect_57014(first);
  EXPECT_TRUE(pg().is_running(second_sql)) << "cancelling the first client stopped the second";
  cancel_and_expect_57014(second);
  EXPECT_EQ("2", first.value("SELECT 2"));
  EXPECT_EQ("3", second.value("SELECT 3"));
}

TEST_F(Takeover, PgbenchRunsThroughTheHandOverWithoutFailures) {
  pgbench_through_takeover({});
}

// Clients move while their statements are prepared on servers that stay behind or move too.
TEST_F(Takeover, PgbenchPreparedRunsThroughTheHandOverWithoutFailures) {
  pgbench_through_takeover({"-M", "prepared", "-S"});
}

// Statement pooling: every statement is its own boundary, so clients move between any two.
TEST_F(Takeover, PgbenchInStatementPoolingRunsThroughTheHandOverWithoutFailures) {
  pgbench_through_takeover({"-S"}, "statement");
}

// The old process offers its pooler-only state in a version this binary does not know: the
// new one must refuse before it serves anything, and the old one goes on.
TEST_F(Takeover, AStateVersionTheNewProcessDoesNotKnowIsRefusedAndTheOldOneServes) {
  PoolerOptions options;
  options.env = {"POOLER_TEST_STATE_VERSION=99"};
  start_pooler(options);
  PqClient idle = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  pid_t pid = start_takeover();
  const int code = new_process_exit_code(pid);
  EXPECT_TRUE(code != 0 && code != -1) << "exit code " << code;
  EXPECT_NE(std::string::npos,
            read_file(new_log()).find("takeover state version 99 is not understood by this pooler"))
      << read_file(new_log());
  expect_old_process_resumes();
  EXPECT_EQ("2", idle.value("SELECT 2"));
  EXPECT_EQ("3", connect().value("SELECT 3"));
}

TEST_F(Takeover, WithoutAnOldProcessItStartsNormally) {
  start_pooler();
  std::string ini = pooler().ini_path();
  pooler().stop();
  start_takeover();
  ASSERT_TRUE(poll_until([&] {
    return read_file(new_log()).find("process up") != std::string::npos;
  })) << read_file(new_log());
  EXPECT_NE(read_file(new_log()).find("old process not found, try to continue normally"),
            std::string::npos);
}

// A new process that hangs after SUSPEND (here: stopped) must not keep the old one
// suspended: once it has been silent for suspend_timeout, the old one drops it and serves.
TEST_F(Takeover, NewProcessHangingAfterSuspendIsGivenUpAndTheOldOneServes) {
  PoolerOptions options;
  options.extra_pooler_lines = {"suspend_timeout = 2"};
  start_pooler(options);
  PqClient idle = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  pid_t pid = start_takeover({"POOLER_TEST_TAKEOVER_STOP_AT=suspend"});
  EXPECT_TRUE(poll_until(
      [&] {
        const std::string log = pooler().log();
        return log.find("has not released a batch yet: giving up on it") != std::string::npos &&
               log.find("resuming normal operation") != std::string::npos;
      },
      30s))
      << pooler().log_tail();
  // Not before suspend_timeout: the logged silence is at least the 2 s configured.
  const std::string log = pooler().log();
  const size_t at = log.find("has sent nothing for ");
  ASSERT_NE(std::string::npos, at);
  EXPECT_GE(std::stoi(log.substr(at + std::strlen("has sent nothing for "))), 2) << log;
  EXPECT_EQ("2", idle.value("SELECT 2"));
  EXPECT_EQ("3", connect().value("SELECT 3"));  // the listeners are back too
  // Woken up, the new process finds its takeover connection gone and gives up.
  kill(pid, SIGCONT);
  const int code = new_process_exit_code(pid);
  EXPECT_TRUE(code != 0 && code != -1) << "exit code " << code;
  EXPECT_EQ("4", idle.value("SELECT 4"));
}

// Hung rather than dead just before SHUTDOWN, with every client on it: after
// suspend_timeout of silence the old process stops it and takes its clients back.
TEST_F(Takeover, NewProcessHangingJustBeforeShutdownIsStoppedAndItsClientsTakenBack) {
  PoolerOptions options;
  options.extra_pooler_lines = {"suspend_timeout = 4"};
  start_pooler(options);
  PqClient client = connect();
  client.exec("SET application_name = 'was_on_a_hung_process'");
  pid_t pid = start_takeover({"POOLER_TEST_TAKEOVER_STOP_AT=shutdown"});
  ASSERT_TRUE(poll_until([&] {
    return read_file(new_log()).find("every connection has moved") != std::string::npos;
  })) << read_file(new_log());
  ASSERT_TRUE(poll_until(
      [&] {
        return pooler().log().find("we can take back what it took: giving up on it") !=
               std::string::npos;
      },
      30s))
      << pooler().log_tail();
  EXPECT_TRUE(poll_until([&] {
    return pooler().log().find("stopping it (SIGKILL)") != std::string::npos;
  })) << pooler().log_tail();
  EXPECT_EQ(128 + SIGKILL, new_process_exit_code(pid));
  expect_old_process_takes_back();
  EXPECT_EQ("was_on_a_hung_process", client.value("SHOW application_name")) << client.last_error();
  EXPECT_EQ("1", connect().value("SELECT 1"));
}

// The old process is told to stop while the hand-over rolls (SIGINT: fast shutdown). It
// ends what it still serves, but the new process keeps serving the clients it took: the
// take-back is only for a new process that failed.
TEST_F(Takeover, OldProcessShuttingDownMidHandOverLeavesTheNewOneServing) {
  start_pooler();
  PqClient idle = connect();
  PqClient in_tx = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  in_tx.exec("BEGIN");
  start_takeover();
  ASSERT_TRUE(poll_until([&] {
    return read_file(new_log()).find("follow at their next idle moment") != std::string::npos;
  })) << read_file(new_log());
  ASSERT_EQ(0, kill(pooler().pid(), SIGINT));
  ASSERT_TRUE(pooler().exits_within(20s)) << pooler().log_tail();
  EXPECT_EQ(std::string::npos, pooler().log().find("SIGKILL")) << pooler().log_tail();
  EXPECT_EQ(std::string::npos, pooler().log().find("taking back")) << pooler().log_tail();
  EXPECT_EQ("2", idle.value("SELECT 2")) << idle.last_error();
  EXPECT_TRUE(still_running(new_pid_));
  EXPECT_EQ("3", connect().value("SELECT 3"));
}

TEST_F(Takeover, NewProcessDyingAfterSuspendLeavesTheOldOneServing) {
  start_pooler();
  expect_takeover_failure_leaves_old_serving("suspend");
}

TEST_F(Takeover, NewProcessDyingDuringShowFdsLeavesTheOldOneServing) {
  start_pooler();
  expect_takeover_failure_leaves_old_serving("show_fds");
}

TEST_F(Takeover, NewProcessDyingBeforeItsFirstReleaseLeavesTheOldOneServing) {
  start_pooler();
  expect_takeover_failure_leaves_old_serving("first_release");
}

// Migration from PgBouncer 1.18 (Debian's package) and back: the same ini, the same port
// and socket dir. PgBouncer's SUSPEND waits for clients queued on a full pool, which can
// never finish while it stops reading linked clients, so the pool is as large as the load.
constexpr const char* kPgBouncer = "/usr/sbin/pgbouncer";

class TakeoverWithPgBouncer : public Takeover {
 protected:
  void SetUp() override {
    if (access(kPgBouncer, X_OK) != 0) GTEST_FAIL() << kPgBouncer << " is not installed";
  }
  // Runs pgbench with 5 clients for 5 s against the current port in the background.
  pid_t start_pgbench() {
    SpawnOptions bench;
    bench.as_test_user = false;
    bench.output_path = pooler().dir() + "/pgbench.log";
    bench.env = {"PGPASSWORD=" + password_of("alice")};
    return spawn(
        {"/usr/lib/postgresql/15/bin/pgbench", "-h", "127.0.0.1", "-p",
         std::to_string(pooler().port()), "-U", "alice", "-c", "5", "-j", "1", "-T", "5", "app"},
        bench);
  }
  void expect_pgbench_clean(pid_t pgbench) {
    int status = wait_for_exit(pgbench, 60s);
    std::string out = read_file(pooler().dir() + "/pgbench.log");
    ASSERT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    EXPECT_NE(out.find("number of failed transactions: 0 "), std::string::npos) << out;
  }
};

TEST_F(TakeoverWithPgBouncer, PoolerTakesOverFromPgBouncerUnderLoad) {
  PoolerOptions options;
  options.default_pool_size = 10;
  setenv("POOLER_TEST_BINARY", kPgBouncer, 1);
  start_pooler(options);  // this "pooler" is PgBouncer
  unsetenv("POOLER_TEST_BINARY");
  PqClient idle = pooler().connect();
  ASSERT_TRUE(idle.ok()) << idle.connect_error();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  pid_t pgbench = start_pgbench();
  std::this_thread::sleep_for(1s);  // let the load start; not a timing assertion
  start_takeover({}, PoolerProcess::binary());
  expect_handover_completes();
  expect_pgbench_clean(pgbench);
  EXPECT_EQ("2", idle.value("SELECT 2"));
}

TEST_F(TakeoverWithPgBouncer, PgBouncerTakesOverFromPoolerUnderLoad) {
  PoolerOptions options;
  options.default_pool_size = 10;
  start_pooler(options);
  PqClient idle = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  pid_t pgbench = start_pgbench();
  std::this_thread::sleep_for(1s);  // let the load start; not a timing assertion
  start_takeover({}, kPgBouncer);
  expect_handover_completes();
  expect_pgbench_clean(pgbench);
  EXPECT_EQ("2", idle.value("SELECT 2"));
}

}  // namespace
}  // namespace pooler_test
