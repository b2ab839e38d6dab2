// The admin console: SHOW POOLS / SHOW CLIENTS numbers, PAUSE and RESUME.
#include <poll.h>

#include <chrono>
#include <string>
#include <vector>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class AdminConsole : public PoolerTest {
 protected:
  size_t clients_of(const std::string& database, const std::string& user,
                    const std::string& state) {
    Rows clients = admin().exec("SHOW CLIENTS");
    size_t n = 0;
    for (size_t r = 0; r < clients.size(); ++r) {
      if (clients.at(r, "database") == database && clients.at(r, "user") == user &&
          clients.at(r, "state") == state) {
        ++n;
      }
    }
    return n;
  }
};

TEST_F(AdminConsole, ShowPoolsCountsSessionClientsAndTheirServers) {
  PoolerOptions options;
  options.pool_mode = "session";
  start_pooler(options);
  std::vector<PqClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect());
    EXPECT_EQ("1", clients.back().value("SELECT 1"));
  }
  EXPECT_EQ("3", pool_stat("cl_active"));
  EXPECT_EQ("0", pool_stat("cl_waiting"));
  EXPECT_EQ("3", pool_stat("sv_active"));
  EXPECT_EQ("0", pool_stat("sv_idle"));

  clients.pop_back();  // its server goes back to the pool once reset
  EXPECT_TRUE(poll_until([&] { return pool_stat("sv_idle") == "1"; }))
      << "sv_idle=" << pool_stat("sv_idle");
  EXPECT_EQ("2", pool_stat("cl_active"));
  EXPECT_EQ("2", pool_stat("sv_active"));
}

TEST_F(AdminConsole, ShowClientsListsEachConnectedClient) {
  start_pooler();
  PqClient a = connect("alice");
  PqClient b = connect("alice");
  PqClient c = connect("carol");
  EXPECT_EQ(2u, clients_of("app", "alice", "active"));
  EXPECT_EQ(1u, clients_of("app", "carol", "active"));
  Rows clients = admin().exec("SHOW CLIENTS");
  EXPECT_EQ(1u, clients.where("database", PoolerProcess::admin_db()).size());  // the asker
}

TEST_F(AdminConsole, IdleTransactionClientsLeaveTheirServerIdle) {
  PoolerOptions options;
  options.default_pool_size = 1;
  start_pooler(options);
  PqClient a = connect();
  PqClient b = connect();
  EXPECT_EQ("1", a.value("SELECT 1"));
  EXPECT_EQ("1", b.value("SELECT 1"));
  EXPECT_EQ("2", pool_stat("cl_active"));
  EXPECT_EQ("0", pool_stat("sv_active"));
  EXPECT_EQ("1", pool_stat("sv_idle"));
}

TEST_F(AdminConsole, PauseHoldsNewQueriesUntilResume) {
  start_pooler();
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  PqClient console = admin();
  console.exec("PAUSE app");

  ASSERT_EQ(1, PQsendQuery(client.raw(), "SELECT 42"));
  // Liveness check, kept small: no answer arrives within about a second while paused.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until) {
    pollfd pfd{PQsocket(client.raw()), POLLIN, 0};
    poll(&pfd, 1, 100);
    ASSERT_EQ(1, PQconsumeInput(client.raw())) << PQerrorMessage(client.raw());
    ASSERT_EQ(1, PQisBusy(client.raw())) << "query answered while paused";
  }

  console.exec("RESUME app");
  PGresult* result = PQgetResult(client.raw());
  ASSERT_EQ(PGRES_TUPLES_OK, PQresultStatus(result)) << PQresultErrorMessage(result);
  EXPECT_EQ(std::string("42"), PQgetvalue(result, 0, 0));
  PQclear(result);
  while (PGresult* extra = PQgetResult(client.raw())) PQclear(extra);
}

TEST_F(AdminConsole, OrdinaryUsersCannotUseIt) {
  start_pooler();
  PqClient client = pooler().connect("alice", PoolerProcess::admin_db());
  EXPECT_FALSE(client.ok());
  EXPECT_EQ("42501", client.connect_sqlstate()) << client.connect_error();
  EXPECT_NE(client.connect_error().find("admin_users"), std::string::npos)
      << client.connect_error();
}

// SHOW SOCKETS, ACTIVE_SOCKETS and MEM with PgBouncer 1.18's columns (checked against a
// running PgBouncer 1.18).
TEST_F(AdminConsole, ShowSocketsListsClientsAndServersWithTheirBuffers) {
  start_pooler();
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  PqClient a = admin();
  Rows sockets = a.exec("SHOW SOCKETS");
  EXPECT_EQ((std::vector<std::string>{
                "type",       "user",       "database",         "state",        "addr",
                "port",       "local_addr", "local_port",       "connect_time", "request_time",
                "wait",       "wait_us",    "close_needed",     "ptr",          "link",
                "remote_pid", "tls",        "application_name", "recv_pos",     "pkt_pos",
                "pkt_remain", "send_pos",   "send_remain",      "pkt_avail",    "send_avail"}),
            sockets.columns);
  EXPECT_FALSE(sockets.where("state", "cl_active").empty());
  EXPECT_FALSE(sockets.where("state", "sv_idle").empty());
  EXPECT_EQ(a.exec("SHOW SOCKETS").columns, a.exec("SHOW ACTIVE_SOCKETS").columns);

  // A client that does not read a 20 MB result: its server's bytes wait in pooler's
  // buffer, and ACTIVE_SOCKETS shows them.
  ASSERT_EQ(1,
            PQsendQuery(client.raw(), "SELECT repeat('x', 1000) FROM generate_series(1, 20000)"));
  size_t buffered_server = 0;
  ASSERT_TRUE(poll_until([&] {
    Rows active = a.exec("SHOW ACTIVE_SOCKETS");
    for (size_t r : active.where("type", "S")) {
      if (std::stoll(active.at(r, "recv_pos")) > 0 && std::stoll(active.at(r, "send_remain")) > 0) {
        ++buffered_server;
      }
    }
    return buffered_server > 0;
  }));

  Rows mem = a.exec("SHOW MEM");
  EXPECT_EQ((std::vector<std::string>{"name", "size", "used", "free", "memtotal"}), mem.columns);
  for (const char* cache :
       {"user_cache", "db_cache", "pool_cache", "server_cache", "client_cache", "iobuf_cache"}) {
    EXPECT_EQ(1u, mem.where("name", cache).size()) << cache;
  }
  EXPECT_LE(2, std::stoll(mem.at(mem.only("name", "client_cache"), "used")));  // us and admin
  EXPECT_LE(1, std::stoll(mem.at(mem.only("name", "iobuf_cache"), "used")));   // the result
}

}  // namespace
}  // namespace pooler_test
