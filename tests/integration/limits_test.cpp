// Limits: query_wait_timeout for clients queued on a full pool, max_client_conn for logins.
#include <vector>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class Limits : public PoolerTest {};

// PgBouncer answers 08P01 "query_wait_timeout" and closes the client; the promise here is only
// that the waiting client gets an error instead of waiting forever, and the holder is unharmed.
TEST_F(Limits, QueryWaitTimeoutErrorsTheWaitingClientOnly) {
  PoolerOptions options;
  options.default_pool_size = 1;
  options.query_wait_timeout = 2;
  start_pooler(options);
  PqClient holder = connect();
  PqClient waiter = connect();
  holder.exec("BEGIN");
  EXPECT_EQ("1", holder.value("SELECT 1"));

  EXPECT_NE("no error", waiter.expect_error("SELECT 2"));

  EXPECT_EQ("3", holder.value("SELECT 3"));
  holder.exec("COMMIT");
  EXPECT_EQ("4", holder.value("SELECT 4"));
}

// PgBouncer 1.18 answers 08P01 "no more connections allowed (max_client_conn)"; 53300 is
// PostgreSQL's too_many_connections.
TEST_F(Limits, ClientBeyondMaxClientConnIsRejectedWith53300) {
  PoolerOptions options;
  options.max_client_conn = 3;
  start_pooler(options);
  std::vector<PqClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect());
    ASSERT_TRUE(clients.back().ok());
  }
  PqClient fourth = pooler().connect();
  EXPECT_FALSE(fourth.ok());
  EXPECT_EQ("53300", fourth.connect_sqlstate()) << fourth.connect_error();
  for (PqClient& client : clients) EXPECT_EQ("1", client.value("SELECT 1"));
}

TEST_F(Limits, SlotFreedByADisconnectedClientCanBeReused) {
  PoolerOptions options;
  options.max_client_conn = 3;
  start_pooler(options);
  std::vector<PqClient> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect());
  clients.pop_back();
  EXPECT_TRUE(poll_until([&] { return pooler().connect().ok(); }));
}

// max_db_connections caps servers across every user's pool of a database: with a cap of 1,
// alice and bob take turns on a single server connection and both get their answers.
TEST_F(Limits, MaxDbConnectionsIsSharedAcrossUsers) {
  PoolerOptions options;
  options.default_pool_size = 5;
  options.extra_pooler_lines = {"max_db_connections = 1"};
  start_pooler(options);
  PqClient alice = connect("alice");
  PqClient bob = connect("bob");
  alice.exec("BEGIN");
  EXPECT_EQ("1", alice.value("SELECT 1"));
  ASSERT_EQ(1, PQsendQuery(bob.raw(), "SELECT 2"));
  EXPECT_TRUE(poll_until([&] { return pool_stat("cl_waiting", "app", "bob") == "1"; }));
  alice.exec("COMMIT");
  // alice's server went back; bob's pool may only open one after it is closed, so
  // what matters is that bob's query is answered and the total never exceeded the cap.
  PGresult* r = nullptr;
  ASSERT_TRUE(poll_until([&] {
    PQconsumeInput(bob.raw());
    return !PQisBusy(bob.raw());
  }));
  r = PQgetResult(bob.raw());
  ASSERT_NE(nullptr, r);
  EXPECT_EQ(PGRES_TUPLES_OK, PQresultStatus(r)) << PQresultErrorMessage(r);
  PQclear(r);
  while ((r = PQgetResult(bob.raw()))) PQclear(r);
  Rows dbs = admin().exec("SHOW DATABASES");
  for (size_t i = 0; i < dbs.size(); ++i) {
    if (dbs.at(i, "name") == "app") {
      EXPECT_LE(std::stoi(dbs.at(i, "current_connections")), 1);
    }
  }
}

// max_user_connections caps one user's servers across databases: alice in "app" and in
// "postgres" (via the "*" entry) takes turns on one server connection.
TEST_F(Limits, MaxUserConnectionsIsSharedAcrossDatabases) {
  PoolerOptions options;
  options.extra_pooler_lines = {"max_user_connections = 1"};
  start_pooler(options);
  PqClient in_app = connect("alice", "app");
  PqClient in_postgres = connect("alice", "postgres");
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ("1", in_app.value("SELECT 1"));
    EXPECT_EQ("2", in_postgres.value("SELECT 2"));
  }
  Rows servers = admin().exec("SHOW SERVERS");
  size_t alice = 0;
  for (size_t i = 0; i < servers.size(); ++i) alice += servers.at(i, "user") == "alice";
  EXPECT_LE(alice, 1u);
}

}  // namespace
}  // namespace pooler_test
