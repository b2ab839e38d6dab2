// A cancel request sent to the pooler with the client's cancel key reaches the right server.
#include <chrono>
#include <future>
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class Cancel : public PoolerTest {
 protected:
  void SetUp() override { start_pooler(); }
};

TEST_F(Cancel, CancelEndsALongQueryWithQueryCanceled) {
  PqClient client = connect();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(1, PQsendQuery(client.raw(), "SELECT pg_sleep(30)"));
  ASSERT_TRUE(poll_until([&] { return pg().is_running("SELECT pg_sleep(30)"); }));

  PGcancel* cancel = PQgetCancel(client.raw());
  ASSERT_NE(nullptr, cancel);
  auto sent = std::async(std::launch::async, [cancel] {
    char error[256] = {0};
    return PQcancel(cancel, error, sizeof(error)) == 1 ? std::string() : std::string(error);
  });
  EXPECT_EQ("", sent.get());
  PQfreeCancel(cancel);

  PGresult* result = PQgetResult(client.raw());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(PGRES_FATAL_ERROR, PQresultStatus(result));
  EXPECT_EQ("57014", sqlstate_of(result)) << PQresultErrorMessage(result);
  PQclear(result);
  while (PGresult* extra = PQgetResult(client.raw())) PQclear(extra);
  // Correctness bound with huge slack, not a timing assertion: the query did not run to its end.
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  EXPECT_EQ("1", client.value("SELECT 1"));
}

TEST_F(Cancel, CancelOfAnIdleClientChangesNothing) {
  PqClient client = connect();
  PGcancel* cancel = PQgetCancel(client.raw());
  ASSERT_NE(nullptr, cancel);
  char error[256] = {0};
  PQcancel(cancel, error, sizeof(error));
  PQfreeCancel(cancel);
  EXPECT_EQ("1", client.value("SELECT 1"));
}

}  // namespace
}  // namespace pooler_test
