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

}  // namespace
}  // namespace pooler_test
