// Protocol-level prepared statements in transaction pooling (max_prepared_statements): each
// client keeps its own statement names while its transactions run on whichever server is
// free, as PgBouncer 1.21+ does and PgBouncer 1.18 cannot.
#include <libpq-fe.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "pooler_test.h"
#include "raw_connection.h"

namespace pooler_test {
namespace {

class PreparedStatements : public PoolerTest {
 protected:
  void start(int pool_size, int max_prepared = 200, const std::string& mode = "transaction") {
    PoolerOptions options;
    options.pool_mode = mode;
    options.default_pool_size = pool_size;
    options.extra_pooler_lines = {"max_prepared_statements = " + std::to_string(max_prepared)};
    start_pooler(options);
  }

  // pgbench through the pooler: exit 0 and no failed transaction.
  void pgbench(const std::vector<std::string>& args) {
    PgbenchCommand bench = pgbench_command(args);
    const int rc = run(bench.argv, bench.options);
    const std::string output = read_file(bench.options.output_path);
    EXPECT_EQ(0, rc) << output;
    expect_pgbench_clean(output);
  }

  // A raw protocol connection, logged in (the pooler must use auth_type trust).
  std::unique_ptr<RawConnection> raw_login() {
    auto raw = std::make_unique<RawConnection>(pooler().port());
    EXPECT_TRUE(raw->connected());
    EXPECT_TRUE(raw->send_bytes(startup_packet(true)));
    for (;;) {
      auto m = raw->next();
      EXPECT_TRUE(m.has_value()) << "login did not finish";
      if (!m || m->type == 'Z') break;
    }
    return raw;
  }

  void start_for_raw_clients() {
    PoolerOptions options;
    options.auth_type = "trust";  // a raw login needs no password exchange
    options.default_pool_size = 1;
    start_pooler(options);
  }
};

TEST_F(PreparedStatements, PgbenchPreparedModeRunsWithMoreClientsThanServers) {
  start(4);
  pgbench({"-M", "prepared", "-S", "-c", "20", "-T", "4"});
  // tpcb-like, seven statements a transaction. Clients no more than servers: pgbench prepares
  // synchronously, so a thread waiting for a server would stall its own clients' transactions.
  pgbench({"-M", "prepared", "-c", "4", "-T", "4"});
}

TEST_F(PreparedStatements, EachClientKeepsItsOwnNamesOnASharedServer) {
  start(1);
  PqClient a = connect();
  PqClient b = connect();
  ASSERT_EQ("", a.prepare("s", "SELECT $1::int + 1"));
  ASSERT_EQ("", b.prepare("s", "SELECT 'b:' || $1"));
  for (int i = 0; i < 5; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(std::to_string(i + 1), a.exec_prepared("s", {n}));
    EXPECT_EQ("b:" + n, b.exec_prepared("s", {n}));
  }
  // Both ran on the one server, which holds the statements under pooler's own names.
  const std::string names =
      a.value("SELECT string_agg(name, ',' ORDER BY name) FROM pg_prepared_statements");
  EXPECT_TRUE(std::regex_match(names, std::regex("pooler_[0-9a-f]{16},pooler_[0-9a-f]{16}")))
      << names;
}

TEST_F(PreparedStatements, DescribeSeesTheClientsStatement) {
  start(1);
  PqClient a = connect();
  PqClient b = connect();
  ASSERT_EQ("", a.prepare("s", "SELECT $1::int AS n, $2::text AS t"));
  ASSERT_EQ("", b.prepare("s", "SELECT 1 AS one"));
  PGresult* r = PQdescribePrepared(a.raw(), "s");
  ASSERT_EQ(PGRES_COMMAND_OK, PQresultStatus(r)) << PQresultErrorMessage(r);
  EXPECT_EQ(2, PQnparams(r));
  EXPECT_EQ(2, PQnfields(r));
  EXPECT_STREQ("t", PQfname(r, 1));
  PQclear(r);
  r = PQdescribePrepared(b.raw(), "s");
  EXPECT_EQ(0, PQnparams(r));
  EXPECT_STREQ("one", PQfname(r, 0));
  PQclear(r);
  r = PQdescribePrepared(a.raw(), "missing");
  EXPECT_EQ("26000", sqlstate_of(r));
  PQclear(r);
  EXPECT_EQ("5", a.exec_prepared("s", {"5", "x"}));
}

TEST_F(PreparedStatements, ClientErrorsAreThoseOfPostgresqlAndTheClientCarriesOn) {
  start(1);
  PqClient a = connect();
  ASSERT_EQ("", a.prepare("s", "SELECT 1"));
  EXPECT_EQ("42P05", a.prepare("s", "SELECT 2"));  // duplicate_prepared_statement
  try {
    a.exec_prepared("nope");
    ADD_FAILURE() << "executing an unknown statement succeeded";
  } catch (const PqError& e) {
    EXPECT_EQ("26000", e.sqlstate()) << e.what();  // invalid_sql_statement_name
  }
  EXPECT_EQ("42P01", a.prepare("bad", "SELECT * FROM no_such_table"));
  // The failed Parse left no statement behind: the name is free again.
  ASSERT_EQ("", a.prepare("bad", "SELECT 3"));
  EXPECT_EQ("3", a.exec_prepared("bad"));
  EXPECT_EQ("1", a.exec_prepared("s"));
}

TEST_F(PreparedStatements, ServersBeyondTheLimitCloseTheLeastRecentlyUsed) {
  start(1, 2);
  PqClient a = connect();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ("", a.prepare("s" + std::to_string(i), "SELECT " + std::to_string(i) + "::int"));
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(std::to_string(i), a.exec_prepared("s" + std::to_string(i)));
  }
  EXPECT_EQ("2", a.value("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'pooler_%' "
                         "AND name <> 'pooler_noop'"));
}

// libpq's pipeline: an error skips the rest up to Sync, and what was skipped must not count.
TEST_F(PreparedStatements, MessagesSkippedAfterAnErrorPrepareNothing) {
  start(1);
  PqClient a = connect();
  PGconn* conn = a.raw();
  ASSERT_EQ(1, PQenterPipelineMode(conn));
  ASSERT_EQ(1, PQsendQueryParams(conn, "SELECT 1/0", 0, nullptr, nullptr, nullptr, nullptr, 0));
  ASSERT_EQ(1, PQsendPrepare(conn, "p", "SELECT 42", 0, nullptr));
  ASSERT_EQ(1, PQpipelineSync(conn));
  std::vector<ExecStatusType> statuses;
  for (int results = 0; results < 3;) {
    PGresult* r = PQgetResult(conn);
    if (!r) continue;  // end of one query's results
    statuses.push_back(PQresultStatus(r));
    PQclear(r);
    ++results;
  }
  ASSERT_EQ(3u, statuses.size());
  EXPECT_EQ(PGRES_FATAL_ERROR, statuses[0]);
  EXPECT_EQ(PGRES_PIPELINE_ABORTED, statuses[1]);
  EXPECT_EQ(PGRES_PIPELINE_SYNC, statuses[2]);
  ASSERT_EQ(1, PQexitPipelineMode(conn));
  // "p" was never prepared, as in PostgreSQL: preparing it now works.
  ASSERT_EQ("", a.prepare("p", "SELECT 43"));
  EXPECT_EQ("43", a.exec_prepared("p"));
}

TEST_F(PreparedStatements, CloseForgetsTheNameAndAnotherClientsStatementIsPreparedAgain) {
  start_for_raw_clients();
  std::unique_ptr<RawConnection> login = raw_login();
  RawConnection& raw = *login;
  const std::string z(1, '\0');
  const std::string no_params("\0\0", 2);
  std::string batch = frontend_message('P', "s1" + z + "SELECT 1" + z + no_params) +
                      frontend_message('C', "S" + std::string("s1") + z) +
                      frontend_message('P', "s1" + z + "SELECT 2" + z + no_params) +
                      frontend_message('B', z + "s1" + z + no_params + no_params + no_params) +
                      frontend_message('E', z + std::string(4, '\0')) + frontend_message('S', "");
  ASSERT_TRUE(raw.send_bytes(batch));
  std::string types;
  std::string row;
  for (;;) {
    auto m = raw.next();
    ASSERT_TRUE(m.has_value()) << "got " << types;
    types.push_back(m->type);
    if (m->type == 'D') row = m->body.substr(6);  // one column: int16 count, int32 length
    if (m->type == 'Z') break;
  }
  EXPECT_EQ("1312DCZ", types);
  EXPECT_EQ("2", row);
}

// A batch larger than pooler's buffer: renaming needs room the full block does not have, so
// some messages go through the server's own output instead. Every reply must still come.
TEST_F(PreparedStatements, ABatchLargerThanTheBufferIsRenamedWhole) {
  start_for_raw_clients();
  std::unique_ptr<RawConnection> login = raw_login();
  RawConnection& raw = *login;
  const std::string z(1, '\0');
  const std::string no_params("\0\0", 2);
  const int kBinds = 2000;  // about 70 kB
  std::string batch = frontend_message('P', "s1" + z + "SELECT 5" + z + no_params);
  for (int i = 0; i < kBinds; ++i) {
    batch += frontend_message('B', z + "s1" + z + no_params + no_params + no_params);
    batch += frontend_message('E', z + std::string(4, '\0'));
  }
  batch += frontend_message('S', "");
  ASSERT_TRUE(raw.send_bytes(batch));
  int parsed = 0, bound = 0, rows = 0, done = 0;
  for (;;) {
    auto m = raw.next();
    ASSERT_TRUE(m.has_value()) << bound << " binds answered";
    ASSERT_NE('E', m->type) << error_fields(m->body)['M'];
    parsed += m->type == '1';
    bound += m->type == '2';
    rows += m->type == 'D' && m->body.substr(6) == "5";
    done += m->type == 'C';
    if (m->type == 'Z') break;
  }
  EXPECT_EQ(1, parsed);
  EXPECT_EQ(kBinds, bound);
  EXPECT_EQ(kBinds, rows);
  EXPECT_EQ(kBinds, done);
}

TEST_F(PreparedStatements, SessionPoolingLeavesStatementsToTheServer) {
  start(2, 200, "session");
  PqClient a = connect();
  ASSERT_EQ("", a.prepare("mine", "SELECT 7"));
  EXPECT_EQ("7", a.exec_prepared("mine"));
  EXPECT_EQ("mine", a.value("SELECT string_agg(name, ',') FROM pg_prepared_statements"));
}

TEST_F(PreparedStatements, ZeroTurnsTrackingOff) {
  start(1, 0);
  PqClient a = connect();
  ASSERT_EQ("", a.prepare("mine", "SELECT 8"));
  EXPECT_EQ("mine", a.value("SELECT string_agg(name, ',') FROM pg_prepared_statements"));
}

}  // namespace
}  // namespace pooler_test
