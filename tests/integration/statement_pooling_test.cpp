// pool_mode = statement: every statement may run on a different server, so multi-statement
// transactions are refused.
#include "pooler_test.h"

namespace pooler_test {
namespace {

class StatementPooling : public PoolerTest {
 protected:
  void SetUp() override {
    PoolerOptions options;
    options.pool_mode = "statement";
    options.default_pool_size = 1;
    start_pooler(options);
  }
};

TEST_F(StatementPooling, AutocommitStatementsRun) {
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  EXPECT_EQ("2", client.value("SELECT 2"));
}

// Promise: BEGIN (or the statement after it) fails with a SQLSTATE, and afterwards the client
// is not left inside a transaction: its connection is either closed or idle. The single server
// is not left stuck in the transaction either: another client can still run a query.
TEST_F(StatementPooling, MultiStatementTransactionIsRefused) {
  PqClient client = connect();
  std::string sqlstate = client.expect_error("BEGIN");
  if (sqlstate == "no error") sqlstate = client.expect_error("SELECT 1");
  EXPECT_NE("no error", sqlstate);
  EXPECT_NE("", sqlstate) << client.last_error();
  EXPECT_TRUE(PQstatus(client.raw()) == CONNECTION_BAD ||
              PQtransactionStatus(client.raw()) == PQTRANS_IDLE);

  PqClient other = connect();
  EXPECT_EQ("1", other.value("SELECT 1"));
}

}  // namespace
}  // namespace pooler_test
