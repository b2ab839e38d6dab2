// Stopping the pooler.
#include <signal.h>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class Lifecycle : public PoolerTest {};

// PgBouncer 1.18: SIGTERM is an immediate shutdown. Once no client is left there is nothing to
// wait for under any shutdown semantics; the 15 s deadline is a liveness bound, not a timing.
TEST_F(Lifecycle, SigtermStopsThePoolerRightAfterTheLastSessionClientLeft) {
  PoolerOptions options;
  options.pool_mode = "session";
  start_pooler(options);
  {
    PqClient client = connect();
    EXPECT_EQ("1", client.value("SELECT 1"));
  }
  // No waiting here: the signal may well arrive while the server's reset query is in flight.
  pooler().send_signal(SIGTERM);
  EXPECT_TRUE(pooler().exits_within(15s)) << "still running 15 s after SIGTERM";
}

TEST_F(Lifecycle, SigtermStopsThePoolerOnceTransactionClientsAreGone) {
  start_pooler();
  {
    PqClient client = connect();
    EXPECT_EQ("1", client.value("SELECT 1"));
  }
  EXPECT_TRUE(poll_until([&] { return pool_stat("cl_active") == "0"; }));
  pooler().send_signal(SIGTERM);
  EXPECT_TRUE(pooler().exits_within(15s)) << "still running 15 s after SIGTERM";
}

}  // namespace
}  // namespace pooler_test
