// [databases] entries that name their host: the lookup goes through the resolver named by
// `resolv_conf` (a FakeDnsServer here) without stopping pooler, fails with a clear error,
// and is cached for dns_max_ttl.
#include <atomic>
#include <thread>

#include "fake_dns_server.h"
#include "pooler_test.h"

namespace pooler_test {
namespace {

class HostResolution : public PoolerTest {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("pooler-dns");
    dns_.write_resolv_conf(dir_ + "/resolv.conf");
  }
  void TearDown() override {
    PoolerTest::TearDown();
    remove_temp_dir(dir_);
  }
  // `named` reaches PostgreSQL through the host name `host`.
  void start_with_host(const std::string& host) {
    PoolerOptions options;
    options.extra_pooler_lines = {"resolv_conf = " + dir_ + "/resolv.conf"};
    options.extra_database_lines = {"named = host=" + host +
                                    " port=" + std::to_string(pg().port()) + " dbname=app"};
    start_pooler(options);
  }

  FakeDnsServer dns_;
  std::string dir_;
};

TEST_F(HostResolution, ALookupThatHangsStopsOnlyTheClientsWaitingForIt) {
  dns_.hold("db.pooler.test", "127.0.0.1");
  start_with_host("db.pooler.test");
  std::atomic<bool> named_done{false};
  std::string named_db, named_error;
  std::jthread named_client([&] {
    PqClient c = pooler().connect("alice", "named");  // waits for a server, so for the answer
    if (c.ok()) {
      named_db = c.value("SELECT current_database()");
    } else {
      named_error = c.connect_error();
    }
    named_done = true;
  });
  // However the test ends, the held question is answered before the client is joined.
  struct Release {
    FakeDnsServer& dns;
    ~Release() { dns.release("db.pooler.test"); }
  } release_on_exit{dns_};
  ASSERT_TRUE(dns_.wait_for_question("db.pooler.test"));
  // The question is unanswered: another database's client logs in and queries meanwhile.
  {
    PqClient other = connect("bob", "app");
    EXPECT_EQ("1", other.value("SELECT 1"));
  }
  EXPECT_FALSE(named_done) << "the client of the held name finished before its answer came";
  dns_.release("db.pooler.test");
  named_client.join();
  EXPECT_EQ("", named_error);
  EXPECT_EQ("app", named_db);
}

TEST_F(HostResolution, AnUnknownNameFailsTheLoginWithTheReason) {
  start_with_host("missing.pooler.test");
  PqClient c = pooler().connect("alice", "named");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string::npos, c.connect_error().find("could not resolve missing.pooler.test"))
      << c.connect_error();
  EXPECT_EQ("08006", c.connect_sqlstate());
  // Other databases are unaffected.
  PqClient other = connect("bob", "app");
  EXPECT_EQ("1", other.value("SELECT 1"));
}

TEST_F(HostResolution, AnAnswerServesEveryServerConnectionWithinDnsMaxTtl) {
  dns_.answer("db.pooler.test", "127.0.0.1");
  start_with_host("db.pooler.test");
  // Three transactions open at once need three server connections.
  std::vector<PqClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(pooler().connect("alice", "named"));
    ASSERT_TRUE(clients.back().ok()) << clients.back().connect_error();
    clients.back().exec("BEGIN");
    EXPECT_EQ("app", clients.back().value("SELECT current_database()"));
  }
  EXPECT_EQ("3", pool_stat("sv_active", "named"));
  EXPECT_EQ(1, dns_.questions("db.pooler.test"));  // dns_max_ttl is 15 s by default
  for (PqClient& c : clients) c.exec("COMMIT");
  // The admin console shows the cache.
  PqClient a = admin();
  Rows hosts = a.exec("SHOW DNS_HOSTS");
  size_t row = hosts.only("hostname", "db.pooler.test");
  EXPECT_EQ("127.0.0.1", hosts.at(row, "addrs"));
  EXPECT_LE(std::stoll(hosts.at(row, "ttl")), 15);
  Rows lists = a.exec("SHOW LISTS");
  EXPECT_EQ("1", lists.at(lists.only("list", "dns_names"), "items"));
}

}  // namespace
}  // namespace pooler_test
