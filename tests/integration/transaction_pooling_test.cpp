// pool_mode = transaction: clients share servers between transactions, yet each client keeps
// its own session settings.
#include <string>
#include <vector>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class TransactionPooling : public PoolerTest {
 protected:
  void SetUp() override {
    PoolerOptions options;
    options.pool_mode = "transaction";
    options.default_pool_size = 1;
    start_pooler(options);
  }

  size_t servers_for(const std::string& database, const std::string& user) {
    Rows servers = admin().exec("SHOW SERVERS");
    size_t n = 0;
    for (size_t r = 0; r < servers.size(); ++r) {
      if (servers.at(r, "database") == database && servers.at(r, "user") == user) ++n;
    }
    return n;
  }
};

TEST_F(TransactionPooling, InterleavedClientsShareOneServer) {
  std::vector<PqClient> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect());
  for (int round = 0; round < 5; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      const std::string n = std::to_string(round * 10 + static_cast<int>(i));
      EXPECT_EQ(n, clients[i].value("SELECT " + n));
    }
  }
  EXPECT_EQ(1u, servers_for("app", "alice"));
}

// PgBouncer 1.18 fails the application_name part: it restores a tracked parameter only when the
// client set one itself, so B (no application_name at login) sees A's 'a'.
TEST_F(TransactionPooling, ClientsShareOneServerWithoutSeeingEachOthersSettings) {
  PqClient a = connect();
  PqClient b = connect();
  const std::string b_timezone = b.value("SHOW TimeZone");
  const std::string b_application = b.value("SHOW application_name");
  ASSERT_NE("Asia/Tokyo", b_timezone);

  a.exec("SET application_name = 'a'");
  a.exec("SET TimeZone = 'Asia/Tokyo'");
  EXPECT_EQ(b_timezone, b.value("SHOW TimeZone"));
  EXPECT_EQ(b_application, b.value("SHOW application_name"));
  EXPECT_EQ("Asia/Tokyo", a.value("SHOW TimeZone"));
  EXPECT_EQ("a", a.value("SHOW application_name"));
  EXPECT_EQ(1u, servers_for("app", "alice"));
}

TEST_F(TransactionPooling, OpenTransactionKeepsItsServerUntilCommit) {
  PqClient a = connect();
  a.exec("BEGIN");
  a.exec("CREATE TEMP TABLE t (x int) ON COMMIT DROP");
  a.exec("INSERT INTO t VALUES (1), (2)");
  EXPECT_EQ("2", a.value("SELECT count(*) FROM t"));
  a.exec("COMMIT");
  PqClient b = connect();
  EXPECT_EQ("1", b.value("SELECT 1"));
}

}  // namespace
}  // namespace pooler_test
