// Servers that die under the pooler: a terminated backend, a restarted PostgreSQL.
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

constexpr const char* kAliceBackends =
    "SELECT pid FROM pg_stat_activity WHERE usename = 'alice' AND datname = 'app' AND "
    "backend_type = 'client backend'";

class Resilience : public PoolerTest {
 protected:
  // Terminates every backend of alice in app and waits until they are gone.
  void terminate_alice_backends() {
    pg().sql(std::string("SELECT pg_terminate_backend(pid) FROM (") + kAliceBackends + ") b");
    ASSERT_TRUE(poll_until([&] { return pg().sql(kAliceBackends).size() == 0; }));
  }
};

// Promise: in transaction mode the client has no server between transactions, so a server that
// died meanwhile is invisible: the very next query succeeds.
TEST_F(Resilience, TransactionClientDoesNotNoticeItsServerWasTerminated) {
  start_pooler();
  PqClient client = connect();
  const std::string first_backend = client.value("SELECT pg_backend_pid()");
  terminate_alice_backends();
  EXPECT_EQ("1", client.value("SELECT 1"));
  EXPECT_NE(first_backend, client.value("SELECT pg_backend_pid()"));
}

// Promise: in session mode the session died with its server, so the client's next query may
// fail (at most that one); a new connection works at once.
TEST_F(Resilience, SessionClientLosesAtMostOneQueryWhenItsServerIsTerminated) {
  PoolerOptions options;
  options.pool_mode = "session";
  start_pooler(options);
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  terminate_alice_backends();
  if (client.expect_error("SELECT 2") != "no error") {
    client = connect();
  }
  EXPECT_EQ("3", client.value("SELECT 3"));
}

// Restarts the shared cluster; it is back up (same port, same data) before the test ends.
TEST_F(Resilience, ClientsWorkAfterPostgresRestart) {
  start_pooler();
  PqClient idle = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  pg().restart();
  PqClient fresh = connect();
  EXPECT_EQ("2", fresh.value("SELECT 2"));
  EXPECT_EQ("3", idle.value("SELECT 3"));
}

}  // namespace
}  // namespace pooler_test
