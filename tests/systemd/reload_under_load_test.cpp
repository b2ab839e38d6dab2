// systemctl reload (the online takeover) and systemctl restart (the fd store) under real
// load: pgbench keeps running through three of each, clients keep their TCP connections,
// a long transaction stalls nobody, and what a session holds survives.
#include <libpq-fe.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "pooler_process.h"
#include "systemd_fixture.h"

#ifndef POOLER_NEXT_BINARY
#error "POOLER_NEXT_BINARY must name the pooler binary with the next version"
#endif

namespace pooler_test {
namespace {

class UnderLoadTest : public SystemdTest {
 protected:
  // pgbench against the unit, in the background; its output goes to pgbench.log.
  pid_t start_pgbench(const std::vector<std::string>& args) {
    SpawnOptions bench;
    bench.as_test_user = false;
    bench.output_path = pgbench_log();
    bench.env = {"PGPASSWORD=" + password_of("alice")};
    std::vector<std::string> argv = {"/usr/lib/postgresql/15/bin/pgbench", "-h", "127.0.0.1", "-p",
                                     std::to_string(unit().port()),        "-U", "alice"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("app");
    return spawn(argv, bench);
  }
  std::string pgbench_log() { return unit().dir() + "/pgbench.log"; }

  // pgbench finished cleanly: exit 0, no failed transaction, no aborted client.
  void expect_pgbench_clean(pid_t pgbench) {
    int status = wait_for_exit(pgbench, 120s);
    std::string out = read_file(pgbench_log());
    EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << "\n"
        << out;
    EXPECT_TRUE(contains(out, "number of failed transactions: 0 ")) << out;
    EXPECT_FALSE(contains(out, "aborted")) << out;
  }

  // The client ports of database app in SHOW CLIENTS: the same TCP connections or not.
  std::set<std::string> client_ports() {
    Rows shown = unit().admin().exec("SHOW CLIENTS");
    std::set<std::string> ports;
    for (size_t r = 0; r < shown.size(); ++r) {
      if (shown.at(r, "database") == "app") ports.insert(shown.at(r, "port"));
    }
    return ports;
  }
  // Waits until all `n` pgbench clients are logged in; returns their ports.
  std::set<std::string> wait_for_clients(size_t n) {
    std::set<std::string> ports;
    EXPECT_TRUE(poll_until(
        [&] {
          ports = client_ports();
          return ports.size() == n;
        },
        30s))
        << ports.size() << " clients";
    return ports;
  }

  // Reload or restart; the main process changes and the unit stays active.
  void cycle(const std::string& verb, int i) {
    const std::string pid = show("MainPID");
    CommandResult r = harness().systemctl({verb, unit().service()});
    ASSERT_EQ(r.code, 0) << verb << " " << i << ": " << r.both();
    EXPECT_NE(show("MainPID"), pid) << verb << " " << i;
    EXPECT_EQ(show("ActiveState"), "active") << verb << " " << i;
  }

  // Replaces the unit's binary on disk, as a package upgrade does (a new inode).
  void install_binary(const std::string& from) {
    const std::string target = unit().service_binary();
    const std::string tmp = target + ".new";
    std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing);
    chmod(tmp.c_str(), 0755);
    std::filesystem::rename(tmp, target);
  }

  std::string admin_value(const std::string& show_what, const std::string& key) {
    Rows rows = unit().admin().exec(show_what);
    return rows.at(rows.only("key", key), "value");
  }

  // pgbench, 50 clients, 60 s; three reloads during the run: one with a changed pool size,
  // one with a new binary reporting another version, one plain.
  void pgbench_through_three_reloads(const std::string& pool_mode, int pool_size) {
    UnitOptions options;
    options.default_pool_size = pool_size;
    options.own_binary = true;
    install(options);
    auto ini = [&](int size) {
      return unit().render_ini(size) + "pool_mode = " + pool_mode + "\nmax_client_conn = 200\n";
    };
    unit().write_ini(ini(pool_size));
    start_socket();
    connected_client();
    pid_t pgbench = start_pgbench({"-c", "50", "-j", "2", "-T", "60"});
    const std::set<std::string> ports = wait_for_clients(50);

    std::this_thread::sleep_for(5s);  // spreads the reloads over the run; asserts nothing
    unit().write_ini(ini(pool_size + 2));
    cycle("reload", 1);
    EXPECT_EQ(admin_value("SHOW CONFIG", "default_pool_size"), std::to_string(pool_size + 2));
    EXPECT_EQ(client_ports(), ports) << "after reload 1";

    std::this_thread::sleep_for(10s);
    install_binary(POOLER_NEXT_BINARY);
    cycle("reload", 2);
    Rows version = unit().admin().exec("SHOW VERSION");
    EXPECT_EQ(version.scalar(), std::string("pooler ") + POOLER_NEXT_VERSION);
    EXPECT_EQ(client_ports(), ports) << "after reload 2";

    std::this_thread::sleep_for(10s);
    cycle("reload", 3);
    EXPECT_EQ(client_ports(), ports) << "after reload 3";

    expect_pgbench_clean(pgbench);
    EXPECT_EQ(show("NRestarts"), "0");
    // Each hand-over in the journal, in PgBouncer's words and in order.
    const std::string svc = unit().service();
    std::string log;
    EXPECT_TRUE(poll_until(
        [&] {
          log = messages({"_SYSTEMD_USER_UNIT=" + svc});
          size_t n = 0;
          for (size_t pos = 0;
               (pos = log.find("old process killed, resuming work", pos)) != std::string::npos;
               ++pos) {
            ++n;
          }
          return n == 3;
        },
        20s))
        << log;
    size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
      for (const char* line :
           {"Login OK, sending SUSPEND", "SUSPEND finished, sending SHOW FDS", "got pooler socket",
            "takeover: adopted", "sending SHUTDOWN", "waiting for old pidfile to go away",
            "old process killed, resuming work"}) {
        size_t at = log.find(line, pos);
        ASSERT_NE(at, std::string::npos)
            << "hand-over " << i + 1 << ": \"" << line << "\" missing or out of order\n"
            << log;
        pos = at;
      }
    }
  }
};

TEST_F(UnderLoadTest, PgbenchThroughThreeReloadsInTransactionMode) {
  pgbench_through_three_reloads("transaction", 10);
}

TEST_F(UnderLoadTest, PgbenchThroughThreeReloadsInSessionMode) {
  pgbench_through_three_reloads("session", 50);
}

// No global pause: while one client sits in a 20 s transaction, a reload does not make the
// others wait for it; the long transaction commits in the old process, then moves.
TEST_F(UnderLoadTest, ALongTransactionDuringAReloadStallsNobody) {
  install();
  start_socket();
  PqClient setup = connected_client();
  setup.exec("CREATE TABLE IF NOT EXISTS long_tx (n int)");
  PqClient slow = connected_client();
  PqClient other = connected_client();
  slow.exec("BEGIN");
  slow.exec("INSERT INTO long_tx VALUES (20)");
  const std::string pid = show("MainPID");

  std::atomic<int> reload_code{-100};
  std::thread reload([&] { reload_code = harness().systemctl({"reload", unit().service()}).code; });
  // Commits of another client and new logins while the long transaction is open.
  int commits = 0, logins = 0;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    other.exec("BEGIN");
    other.exec("SELECT 1");
    other.exec("COMMIT");
    ++commits;
    if (commits % 100 == 0) {
      PqClient fresh = unit().connect();
      if (fresh.ok() && fresh.value("SELECT 1") == "1") ++logins;
    }
  }
  EXPECT_EQ(reload_code.load(), -100) << "the reload waits for the long transaction";
  slow.exec("COMMIT");
  reload.join();
  EXPECT_EQ(reload_code.load(), 0);
  EXPECT_NE(show("MainPID"), pid);
  EXPECT_GE(commits, 100) << "other clients kept committing during the long transaction";
  EXPECT_GE(logins, 1);
  EXPECT_EQ(slow.value("SELECT count(*) FROM long_tx WHERE n = 20"), "1");
  EXPECT_EQ(other.value("SELECT 2"), "2");
}

// A session keeps its temp table, its prepared statement and its application_name.
TEST_F(UnderLoadTest, SessionStateSurvivesAReload) {
  install();
  unit().write_ini(unit().render_ini(5) + "pool_mode = session\n");
  start_socket();
  PqClient client = connected_client();
  client.exec("CREATE TEMP TABLE kept (n int)");
  client.exec("INSERT INTO kept VALUES (7)");
  client.exec("SET application_name = 'kept-through-reload'");
  PGresult* prepared = PQprepare(client.raw(), "plus_one", "SELECT $1::int + 1", 1, nullptr);
  ASSERT_EQ(PQresultStatus(prepared), PGRES_COMMAND_OK) << PQerrorMessage(client.raw());
  PQclear(prepared);

  cycle("reload", 1);
  EXPECT_EQ(client.value("SELECT n FROM kept"), "7");
  EXPECT_EQ(client.value("SHOW application_name"), "kept-through-reload");
  const char* values[] = {"41"};
  PGresult* r = PQexecPrepared(client.raw(), "plus_one", 1, values, nullptr, nullptr, 0);
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(client.raw());
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "42");
  PQclear(r);
}

// pgbench, 50 clients, 60 s, with three systemctl restart: the fd store carries every
// client over to the next instance on the same TCP connection.
TEST_F(UnderLoadTest, PgbenchThroughThreeRestarts) {
  UnitOptions options;
  options.default_pool_size = 10;
  install(options);
  unit().write_ini(unit().render_ini(10) + "max_client_conn = 200\n");
  start_socket();
  connected_client();
  pid_t pgbench = start_pgbench({"-c", "50", "-j", "2", "-T", "60"});
  const std::set<std::string> ports = wait_for_clients(50);
  for (int i = 1; i <= 3; ++i) {
    std::this_thread::sleep_for(i == 1 ? 5s : 10s);  // spreads the restarts; asserts nothing
    cycle("restart", i);
    EXPECT_EQ(client_ports(), ports) << "after restart " << i;
  }
  expect_pgbench_clean(pgbench);
  // A restart asked for is not counted as an automatic one.
  EXPECT_EQ(show("NRestarts"), "0");
}

}  // namespace
}  // namespace pooler_test
