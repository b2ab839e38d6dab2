// Stopping the pooler.
#include <signal.h>
#include <unistd.h>

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

namespace pooler_test {
namespace {

class Pidfile : public PoolerTest {};

TEST_F(Pidfile, IsWrittenWhenReadyAndRemovedOnExit) {
  start_pooler();
  std::string path = pooler().dir() + "/pooler.pid";
  EXPECT_TRUE(poll_until([&] { return read_file(path) == std::to_string(pooler().pid()) + "\n"; }))
      << read_file(path);
  pooler().send_signal(SIGINT);
  ASSERT_TRUE(pooler().exits_within(15s));
  EXPECT_NE(0, access(path.c_str(), F_OK)) << "pidfile left behind";
}

TEST_F(Pidfile, AStalePidfileIsReplaced) {
  start_pooler();
  std::string ini = pooler().ini_path();
  std::string path = pooler().dir() + "/pooler.pid";
  // Written once ready, a moment after the listeners accept.
  ASSERT_TRUE(poll_until([&] { return access(path.c_str(), F_OK) == 0; }));
  pooler().send_signal(SIGKILL);  // leaves its pidfile behind, naming a dead process
  ASSERT_TRUE(pooler().exits_within(15s));
  ASSERT_EQ(0, access(path.c_str(), F_OK));
  SpawnOptions options;
  options.output_path = pooler().dir() + "/second.log";
  pid_t second = spawn({PoolerProcess::binary(), ini}, options);
  EXPECT_TRUE(poll_until([&] { return read_file(path) == std::to_string(second) + "\n"; }))
      << read_file(options.output_path);
  terminate(second, SIGINT, 10s);
}

TEST_F(Pidfile, ALiveOwnerMakesASecondInstanceRefuseToStart) {
  start_pooler();
  ASSERT_TRUE(poll_until([&] { return !read_file(pooler().dir() + "/pooler.pid").empty(); }));
  SpawnOptions options;
  options.output_path = pooler().dir() + "/second.log";
  pid_t second = spawn({PoolerProcess::binary(), pooler().ini_path()}, options);
  int status = wait_for_exit(second, 15s);
  ASSERT_NE(-1, status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(read_file(options.output_path).find("is pooler already running?"), std::string::npos)
      << read_file(options.output_path);
  PqClient client = connect();  // the first one is unharmed
  EXPECT_EQ("1", client.value("SELECT 1"));
}

TEST_F(Pidfile, SigintClosesClientsWithAdminShutdown) {
  start_pooler();
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  pooler().send_signal(SIGINT);
  ASSERT_TRUE(pooler().exits_within(15s));
  EXPECT_NE("no error", client.expect_error("SELECT 2"));
}

}  // namespace
}  // namespace pooler_test
