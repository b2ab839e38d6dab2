// pooler under a real systemd user manager + journald: socket activation, readiness, status,
// reload, journal fields, watchdog, config errors, the shipped unit's sandbox, and running
// without systemd at all.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "pg_cluster.h"
#include "pooler_process.h"
#include "pooler_unit.h"
#include "pq_client.h"
#include "process_util.h"
#include "systemd_fixture.h"
#include "systemd_harness.h"

namespace pooler_test {
namespace {

TEST_F(SystemdTest, FirstClientConnectionStartsTheServiceAndItsQuerySucceeds) {
  install();
  start_socket();
  EXPECT_EQ(harness().show("ActiveState", unit().socket()), "active");
  EXPECT_EQ(show("ActiveState"), "inactive") << "the service must wait for the first client";

  PqClient client = unit().connect();
  ASSERT_TRUE(client.ok()) << client.connect_error();
  EXPECT_EQ(client.value("SELECT count(*) FROM pgbench_branches"), "1");
  EXPECT_EQ(show("ActiveState"), "active");
  EXPECT_NE(show("MainPID"), "0");
  EXPECT_TRUE(contains(messages({"_SYSTEMD_USER_UNIT=" + unit().service()}),
                       "(pooler) for 127.0.0.1:" + std::to_string(unit().port())))
      << "pooler must use systemd's TCP socket, not bind its own";
}

TEST_F(SystemdTest, UnixSocketOfTheSocketUnitServesClients) {
  install();
  start_socket();
  PqClient client =
      PqClient::connect("host=" + unit().dir() + " port=" + std::to_string(unit().port()) +
                        " user=alice password=alice-pw dbname=app");
  ASSERT_TRUE(client.ok()) << client.connect_error();
  EXPECT_EQ(client.value("SELECT 40 + 2"), "42");
  EXPECT_TRUE(contains(messages({"_SYSTEMD_USER_UNIT=" + unit().service()}),
                       "(pooler) for unix:" + unit().unix_socket_path()))
      << "pooler must use systemd's socket, not bind its own";
}

TEST_F(SystemdTest, IsActiveOnlyAfterReady) {
  UnitOptions options;
  options.extra_service_lines = {"Environment=POOLER_TEST_READY_DELAY_MS=3000"};
  install(options);
  CommandResult start = harness().systemctl({"start", "--no-block", unit().service()});
  ASSERT_EQ(start.code, 0) << start.both();

  // The service runs (its listeners are live) but has not sent READY=1 yet.
  ASSERT_TRUE(poll_until([&] { return show("ActiveState") != "inactive"; }, 10s));
  EXPECT_EQ(show("ActiveState"), "activating");
  CommandResult early = harness().systemctl({"is-active", unit().service()});
  EXPECT_NE(early.code, 0) << early.both();
  EXPECT_EQ(early.out, "activating\n");

  EXPECT_TRUE(poll_until([&] { return show("ActiveState") == "active"; }, 30s))
      << "ActiveState stayed " << show("ActiveState");
  CommandResult late = harness().systemctl({"is-active", unit().service()});
  EXPECT_EQ(late.code, 0) << late.both();
  PqClient client = connected_client();
}

TEST_F(SystemdTest, StatusTextCountsTheConnectedClients) {
  install();
  start_socket();
  std::vector<PqClient> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connected_client());
  // STATUS= is refreshed about once a second: poll.
  EXPECT_TRUE(poll_until([&] { return contains(show("StatusText"), " 3 clients ("); }, 20s))
      << "StatusText: " << show("StatusText");
  clients.pop_back();
  EXPECT_TRUE(poll_until([&] { return contains(show("StatusText"), " 2 clients ("); }, 20s))
      << "StatusText: " << show("StatusText");
  EXPECT_TRUE(std::regex_search(show("StatusText"),
                                std::regex(R"(^\d+ pools, 2 clients \(\d+ active, \d+ waiting\), )"
                                           R"(\d+ servers, \d+ tx/s)")))
      << show("StatusText");
}

TEST_F(SystemdTest, ReloadIsATakeoverThatAppliesTheNewConfigAndKeepsClients) {
  UnitOptions options;
  options.default_pool_size = 5;
  install(options);
  start_socket();
  PqClient before = connected_client();
  const std::string pid = show("MainPID");

  unit().write_ini(unit().render_ini(7));
  CommandResult reload = harness().systemctl({"reload", unit().service()});
  ASSERT_EQ(reload.code, 0) << reload.both();
  // The reload command returns only after the hand-over: the new process is the main one,
  // and the old one has exited (at most a zombie its parent, the manager, has yet to reap).
  EXPECT_NE(show("MainPID"), pid);
  EXPECT_TRUE(exited_or_zombie(std::stoi(pid))) << "old main process " << pid << " still runs";
  EXPECT_EQ(show("ActiveState"), "active");

  PqClient admin = unit().admin();
  Rows config = admin.exec("SHOW CONFIG");
  EXPECT_EQ(config.at(config.only("key", "default_pool_size"), "value"), "7");
  EXPECT_EQ(before.value("SELECT 40 + 2"), "42") << "a client from before the reload";

  const std::string svc = unit().service();
  EXPECT_TRUE(poll_until(
      [&] {
        std::string log = messages({"_SYSTEMD_USER_UNIT=" + svc});
        return contains(log, "old process killed, resuming work") &&
               contains(log, "reload: takeover complete");
      },
      20s));
  std::string manager;
  EXPECT_TRUE(poll_until(
      [&] {
        manager = messages({"USER_UNIT=" + svc, "_SYSTEMD_USER_UNIT=init.scope"});
        return contains(manager, "Reloading " + svc) && contains(manager, "Reloaded " + svc);
      },
      20s))
      << manager;
}

TEST_F(SystemdTest, TenReloadsInARowAllSucceedAndKeepTheClient) {
  install();
  start_socket();
  PqClient client = connected_client();
  std::string pid = show("MainPID");
  for (int i = 0; i < 10; ++i) {
    CommandResult reload = harness().systemctl({"reload", unit().service()});
    ASSERT_EQ(reload.code, 0) << "reload " << i << ": " << reload.both();
    std::string now = show("MainPID");
    EXPECT_NE(now, pid) << "reload " << i;
    pid = now;
    EXPECT_EQ(client.value("SELECT " + std::to_string(i)), std::to_string(i));
  }
  EXPECT_EQ(show("ActiveState"), "active");
  EXPECT_EQ(show("NRestarts"), "0");
}

// systemd gives WATCHDOG_USEC only to the process it started; the old process passes it on.
TEST_F(SystemdTest, TheNewProcessKeepsFeedingTheWatchdogAfterAReload) {
  UnitOptions options;
  options.watchdog_sec = "2s";
  install(options);
  start_socket();
  PqClient client = connected_client();
  CommandResult reload = harness().systemctl({"reload", unit().service()});
  ASSERT_EQ(reload.code, 0) << reload.both();
  const std::string pid = show("MainPID");
  std::this_thread::sleep_for(5s);  // more than twice WatchdogSec; asserts nothing by itself
  EXPECT_EQ(show("MainPID"), pid);
  EXPECT_EQ(show("NRestarts"), "0");
  EXPECT_EQ(client.value("SELECT 1"), "1");
}

TEST_F(SystemdTest, ReloadWithABrokenConfigFailsAndTheOldProcessKeepsServing) {
  install();
  start_socket();
  PqClient client = connected_client();
  const std::string pid = show("MainPID");
  unit().write_ini(unit().render_ini(5) + "default_pool_size = many\n");
  CommandResult reload = harness().systemctl({"reload", unit().service()});
  EXPECT_NE(reload.code, 0) << reload.both();
  EXPECT_EQ(show("MainPID"), pid);
  EXPECT_EQ(show("ActiveState"), "active");
  EXPECT_EQ(client.value("SELECT 1"), "1");
  std::string log;
  EXPECT_TRUE(poll_until(
      [&] {
        log = messages({"_SYSTEMD_USER_UNIT=" + unit().service()});
        return contains(log, "default_pool_size");
      },
      20s));
  // Refused before touching the old process: no takeover login, no SUSPEND, nothing resumed.
  EXPECT_FALSE(contains(log, "Login OK, sending SUSPEND")) << log;
  EXPECT_FALSE(contains(log, "rolling hand-over")) << log;
  EXPECT_FALSE(contains(log, "resuming normal operation")) << log;
}

// The new process dies in the hand-over itself (after SUSPEND): `systemctl reload` fails
// and says why, and the old process resumes by itself with its client.
TEST_F(SystemdTest, ReloadThatFailsInTheTakeoverIsReportedAndTheOldProcessKeepsServing) {
  start_unit_whose_reload_dies_at("suspend");
  PqClient client = connected_client();
  const std::string pid = show("MainPID");
  CommandResult reload = harness().systemctl({"reload", unit().service()});
  EXPECT_NE(reload.code, 0) << reload.both();
  EXPECT_EQ(show("MainPID"), pid);
  EXPECT_EQ(show("ActiveState"), "active");
  std::string log;
  EXPECT_TRUE(poll_until(
      [&] {
        log = messages({"_SYSTEMD_USER_UNIT=" + unit().service()});
        return contains(log, "reload failed, the old process keeps serving") &&
               contains(log, "resuming normal operation");
      },
      30s))
      << log;
  EXPECT_EQ(client.value("SELECT 1"), "1");
  EXPECT_EQ(connected_client().value("SELECT 2"), "2");
  // The unit left "reloading" (RELOADING=1 was answered): the next reload runs, not queues.
  CommandResult again = harness().systemctl({"reload", unit().service()});
  EXPECT_NE(again.code, 0) << again.both();
  // It ran (a second takeover attempt, failed as the first), rather than timing out queued.
  auto count = [](const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
  };
  EXPECT_TRUE(poll_until(
      [&] {
        log = messages({"_SYSTEMD_USER_UNIT=" + unit().service()});
        return count(log, "reload failed, the old process keeps serving") == 2;
      },
      30s))
      << log;
  EXPECT_EQ(show("ActiveState"), "active");
  EXPECT_EQ(show("MainPID"), pid);
  EXPECT_EQ(client.value("SELECT 3"), "3");
  EXPECT_EQ(show("NRestarts"), "0");
}

// The new process dies at the last moment, after it told systemd it is the main process
// and after every connection moved to it, but before SHUTDOWN. The reload command gives the
// main process back; the old process takes back the client it had handed over.
TEST_F(SystemdTest, ReloadWhoseNewProcessDiesJustBeforeShutdownLeavesTheOldOneMainAndServing) {
  start_unit_whose_reload_dies_at("shutdown");
  PqClient client = connected_client();
  client.exec("SET application_name = 'stays'");
  const std::string pid = show("MainPID");
  CommandResult reload = harness().systemctl({"reload", unit().service()});
  EXPECT_NE(reload.code, 0) << reload.both();
  std::string log;
  EXPECT_TRUE(poll_until(
      [&] {
        log = messages({"_SYSTEMD_USER_UNIT=" + unit().service()});
        return contains(log, "after the new process had become the main process") &&
               contains(log, "died before SHUTDOWN: taking back");
      },
      30s))
      << log;
  EXPECT_EQ(show("MainPID"), pid);
  EXPECT_EQ(show("ActiveState"), "active");
  EXPECT_EQ(client.value("SHOW application_name"), "stays");
  EXPECT_EQ(connected_client().value("SELECT 2"), "2");
  EXPECT_EQ(show("NRestarts"), "0");
  // The fd store still describes the old process's connections, the client taken back
  // included: a restart now keeps it too.
  CommandResult restart = harness().systemctl({"restart", unit().service()});
  ASSERT_EQ(restart.code, 0) << restart.both();
  EXPECT_NE(show("MainPID"), pid);
  EXPECT_EQ(client.value("SHOW application_name"), "stays") << client.last_error();
}

// The take-back under systemd with a client the new process had mid-transaction: the old
// process closes that one (and its server) and keeps the other, and its count of the fd
// store's entries stays the manager's own, so the store neither leaks nor refuses early.
TEST_F(SystemdTest, ATakeBackClosesWhatWasMidTransactionAndTheFdStoreCountStaysExact) {
  start_unit_whose_reload_dies_at("shutdown");
  PqClient moved_then_busy = connected_client();
  EXPECT_EQ(moved_then_busy.value("SELECT 1"), "1");
  PqClient holds_the_handover = connected_client();
  holds_the_handover.exec("BEGIN");
  holds_the_handover.exec("SELECT 1");
  auto stored_as_we_count = [&] {
    Rows rows = unit().admin().exec("SHOW STATE");
    return rows.at(rows.only("key", "fd_store_stored"), "value");
  };
  ASSERT_TRUE(poll_until([&] { return stored_as_we_count() == show("NFileDescriptorStore"); }))
      << "before the reload: we count " << stored_as_we_count() << ", systemd holds "
      << show("NFileDescriptorStore");

  std::atomic<int> reload_code{-100};
  std::thread reload([&] { reload_code = harness().systemctl({"reload", unit().service()}).code; });
  // The idle client moved at once; the one in a transaction keeps the hand-over open.
  const std::string svc = "_SYSTEMD_USER_UNIT=" + unit().service();
  EXPECT_TRUE(poll_until(
      [&] { return contains(messages({svc}), "follow at their next idle moment"); }, 30s))
      << messages({svc});
  moved_then_busy.exec("BEGIN");
  moved_then_busy.exec("SELECT 2");   // now in a transaction on the new process
  holds_the_handover.exec("COMMIT");  // the last one moves; the new process dies at SHUTDOWN
  reload.join();
  EXPECT_NE(reload_code.load(), 0);
  EXPECT_TRUE(poll_until(
      [&] { return contains(messages({svc}), "died before SHUTDOWN: taking back"); }, 30s))
      << messages({svc});
  EXPECT_EQ(holds_the_handover.value("SELECT 3"), "3") << holds_the_handover.last_error();
  EXPECT_NE(moved_then_busy.expect_error("SELECT 4"), "no error");
  EXPECT_TRUE(poll_until([&] { return stored_as_we_count() == show("NFileDescriptorStore"); }, 20s))
      << "after the take-back: we count " << stored_as_we_count() << ", systemd holds "
      << show("NFileDescriptorStore");
}

TEST_F(SystemdTest, SighupReloadsTheConfigInTheSameProcess) {
  UnitOptions options;
  options.default_pool_size = 5;
  install(options);
  start_socket();
  PqClient before = connected_client();
  const std::string pid = show("MainPID");
  unit().write_ini(unit().render_ini(9));
  CommandResult hup = harness().systemctl({"kill", "-s", "HUP", unit().service()});
  ASSERT_EQ(hup.code, 0) << hup.both();
  auto pool_size = [&] {
    PqClient admin = unit().admin();
    Rows config = admin.exec("SHOW CONFIG");
    return config.at(config.only("key", "default_pool_size"), "value");
  };
  EXPECT_TRUE(poll_until([&] { return pool_size() == "9"; }, 20s));
  EXPECT_EQ(show("MainPID"), pid);
  EXPECT_EQ(before.value("SELECT 1"), "1");
  EXPECT_TRUE(poll_until(
      [&] {
        return contains(messages({"_SYSTEMD_USER_UNIT=" + unit().service(), "POOLER_EVENT=reload"}),
                        "configuration reloaded from " + unit().ini_path());
      },
      20s));
}

TEST_F(SystemdTest, RestartKeepsIdleClientsOnTheSameConnections) {
  install();
  start_socket();
  std::vector<PqClient> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(connected_client());
  clients[0].exec("SET application_name = 'kept-through-restart'");
  std::set<std::string> ports_before;
  for (auto& c : clients) ports_before.insert(std::to_string(local_port(c)));
  const std::string pid = show("MainPID");

  CommandResult restart = harness().systemctl({"restart", unit().service()});
  ASSERT_EQ(restart.code, 0) << restart.both();
  EXPECT_NE(show("MainPID"), pid);
  for (size_t i = 0; i < clients.size(); ++i) {
    EXPECT_EQ(clients[i].value("SELECT " + std::to_string(i)), std::to_string(i))
        << "client " << i << " after the restart";
  }
  EXPECT_EQ(clients[0].value("SHOW application_name"), "kept-through-restart");
  // SHOW CLIENTS of the new process lists the very same client ports.
  PqClient admin = unit().admin();
  Rows shown = admin.exec("SHOW CLIENTS");
  std::set<std::string> ports_after;
  for (size_t r = 0; r < shown.size(); ++r) {
    if (shown.at(r, "database") == "app") ports_after.insert(shown.at(r, "port"));
  }
  for (const auto& port : ports_before) EXPECT_TRUE(ports_after.count(port)) << port;
}

TEST_F(SystemdTest, SessionClientWithATempTableSurvivesRestart) {
  install({.default_pool_size = 5, .watchdog_sec = "", .extra_service_lines = {}});
  unit().write_ini(unit().render_ini(5) + "pool_mode = session\n");
  start_socket();
  PqClient client = connected_client();
  client.exec("CREATE TEMP TABLE kept (n int)");
  client.exec("INSERT INTO kept VALUES (7)");
  CommandResult restart = harness().systemctl({"restart", unit().service()});
  ASSERT_EQ(restart.code, 0) << restart.both();
  EXPECT_EQ(client.value("SELECT n FROM kept"), "7");
}

TEST_F(SystemdTest, AClosedClientLeavesTheFdStore) {
  install();
  start_socket();
  PqClient stays = connected_client();
  std::string with_two;
  {
    PqClient leaves = connected_client();
    ASSERT_TRUE(poll_until([&] { return !show("NFileDescriptorStore").empty(); }));
    with_two = show("NFileDescriptorStore");
  }
  EXPECT_TRUE(poll_until(
      [&] { return std::stoi(show("NFileDescriptorStore")) == std::stoi(with_two) - 1; }, 20s))
      << "before " << with_two << ", now " << show("NFileDescriptorStore");
}

TEST_F(SystemdTest, StopClosesTheClientsConnections) {
  install();
  start_socket();
  PqClient client = connected_client();
  CommandResult stop = harness().systemctl({"stop", unit().service()});
  ASSERT_EQ(stop.code, 0) << stop.both();
  EXPECT_EQ(show("NFileDescriptorStore"), "0");
  EXPECT_NE(client.expect_error("SELECT 1"), "no error");
}

TEST_F(SystemdTest, FailedLoginIsInTheJournalWithItsFields) {
  install();
  start_socket();
  PqClient bad = PqClient::connect(unit().conninfo("alice", "app", "wrong-pw"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.connect_sqlstate(), "28P01") << bad.connect_error();
  const std::string svc = unit().service();

  // Found by the fields an operator filters on...
  std::vector<JournalEntry> by_fields;
  EXPECT_TRUE(poll_until(
      [&] {
        by_fields = harness().journal_entries(
            {"_SYSTEMD_USER_UNIT=" + svc, "POOLER_DB=app", "POOLER_EVENT=login_failed"});
        return by_fields.size() == 1;
      },
      20s))
      << by_fields.size() << " entries";

  // ...and by priority, with the connection's fields and the source location.
  std::vector<JournalEntry> warnings =
      harness().journal_entries({"_SYSTEMD_USER_UNIT=" + svc, "-p", "warning"});
  const JournalEntry* entry = nullptr;
  for (const JournalEntry& e : warnings) {
    auto it = e.find("POOLER_EVENT");
    if (it != e.end() && it->second == "login_failed") entry = &e;
  }
  ASSERT_NE(entry, nullptr) << warnings.size() << " warnings, none is the failed login";
  EXPECT_EQ(entry->at("PRIORITY"), "4");
  EXPECT_EQ(entry->at("POOLER_DB"), "app");
  EXPECT_EQ(entry->count("POOLER_USER") ? entry->at("POOLER_USER") : "", "alice");
  EXPECT_TRUE(entry->count("POOLER_CLIENT_ADDR") &&
              entry->at("POOLER_CLIENT_ADDR").rfind("127.0.0.1", 0) == 0)
      << (entry->count("POOLER_CLIENT_ADDR") ? entry->at("POOLER_CLIENT_ADDR") : "missing");
  EXPECT_TRUE(entry->count("POOLER_CONN_ID") && !entry->at("POOLER_CONN_ID").empty());
  EXPECT_TRUE(entry->count("CODE_FILE") && !entry->at("CODE_FILE").empty());
  EXPECT_TRUE(entry->count("CODE_LINE") && std::atoi(entry->at("CODE_LINE").c_str()) > 0);
  EXPECT_EQ(entry->count("SYSLOG_IDENTIFIER") ? entry->at("SYSLOG_IDENTIFIER") : "", "pooler");
}

TEST_F(SystemdTest, WatchdogRestartsAHungService) {
  // Only WatchdogSec= is shortened; Restart=on-failure is the shipped unit's. systemd 252
  // continues the stopped process after the watchdog's SIGABRT, so it dies at once.
  UnitOptions options;
  options.watchdog_sec = "2s";
  install(options);
  start_socket();
  { PqClient first = connected_client(); }
  const std::string old_pid = show("MainPID");
  ASSERT_NE(old_pid, "0");
  EXPECT_EQ(show("NRestarts"), "0");

  ASSERT_EQ(kill(std::atoi(old_pid.c_str()), SIGSTOP), 0);
  EXPECT_TRUE(poll_until(
      [&] {
        std::string pid = show("MainPID");
        return show("NRestarts") == "1" && pid != "0" && pid != old_pid &&
               show("ActiveState") == "active";
      },
      60s))
      << "NRestarts=" << show("NRestarts") << " MainPID=" << show("MainPID")
      << " ActiveState=" << show("ActiveState");
  EXPECT_FALSE(poll_until([&] { return kill(std::atoi(old_pid.c_str()), 0) == 0; }, 1s))
      << "the hung process is gone";
  PqClient again = connected_client();
  EXPECT_TRUE(contains(messages({"USER_UNIT=" + unit().service()}), "Watchdog timeout"))
      << "restarted for another reason than the watchdog";
}

TEST_F(SystemdTest, BadConfigFailsTheStartWithFileLineAndStatus) {
  install();
  std::string ini = unit().render_ini(5);
  const std::string good = "default_pool_size = 5\n";
  size_t at = ini.find(good);
  ASSERT_NE(at, std::string::npos);
  ini.replace(at, good.size(), "default_pool_size = abc\n");
  const int line = 1 + static_cast<int>(std::count(ini.begin(), ini.begin() + at, '\n'));
  unit().write_ini(ini);

  CommandResult start = harness().systemctl({"start", unit().service()});
  EXPECT_NE(start.code, 0) << start.both();
  EXPECT_EQ(show("ActiveState"), "failed");
  EXPECT_EQ(show("ExecMainStatus"), "78");

  const std::string where = unit().ini_path() + ":" + std::to_string(line) + ": default_pool_size";
  std::string log;
  EXPECT_TRUE(poll_until(
      [&] {
        log = messages({"_SYSTEMD_USER_UNIT=" + unit().service()});
        return contains(log, where);
      },
      20s))
      << "want \"" << where << "\" in:\n"
      << log;
  // pooler sent STATUS=<reason> and ERRNO= before exiting.
  EXPECT_TRUE(contains(show("StatusText"), "default_pool_size")) << show("StatusText");
  EXPECT_EQ(show("StatusErrno"), "22");
  CommandResult status = harness().in_namespace(
      {"/usr/bin/systemctl", "--user", "--no-pager", "status", unit().service()});
  EXPECT_TRUE(contains(status.out, where)) << status.both();
}

TEST_F(SystemdTest, ConfigErrorIsNotRestarted) {
  install();
  unit().write_ini("[pooler]\ndefault_pool_size = abc\n");
  EXPECT_NE(harness().systemctl({"start", unit().service()}).code, 0);
  EXPECT_EQ(show("ExecMainStatus"), "78");
  EXPECT_EQ(show("NRestarts"), "0") << "RestartPreventExitStatus=78";
  EXPECT_EQ(show("ActiveState"), "failed");
}

TEST_F(SystemdTest, ShippedServiceExposureIsAtMostTwo) {
  // --offline=true writes /run/systemd/systemd-units-load: only inside the harness namespace.
  CommandResult r = harness().in_namespace(
      {"/usr/bin/systemd-analyze", "security", "--offline=true", "--no-pager",
       std::string(POOLER_SOURCE_DIR) + "/units/pooler.service"});
  std::smatch m;
  const std::regex overall(R"(Overall exposure level for pooler\.service: (\d+\.\d+))");
  ASSERT_TRUE(std::regex_search(r.out, m, overall)) << r.both();
  EXPECT_LE(std::stod(m[1]), 2.0) << r.out;
}

TEST_F(SystemdTest, ShippedUnitsPassVerify) {
  // systemd-analyze verify checks syntax and that every key is known to this systemd; the
  // /usr/bin/pooler of ExecStart= does not exist here, so only the unit syntax is judged.
  for (const char* unit : {"pooler.socket", "pooler.service"}) {
    CommandResult r = harness().in_namespace({"/usr/bin/systemd-analyze", "verify", "--man=no",
                                              std::string(POOLER_SOURCE_DIR) + "/units/" + unit});
    std::string text = r.both();
    EXPECT_FALSE(contains(text, "Unknown key") || contains(text, "Failed to parse") ||
                 contains(text, "Unknown section"))
        << unit << ":\n"
        << text;
  }
}

// A crash (SIGKILL) under Restart=on-failure: idle clients are adopted from the fd store and
// the crash-safe slots and run their next query on the same connection; clients caught
// mid-transaction get a closed connection, none hangs.
TEST_F(SystemdTest, CrashKeepsIdleClientsAndClosesBusyOnes) {
  install();
  unit().write_ini(unit().render_ini(5) + "max_client_conn = 500\n");
  start_socket();
  std::vector<PqClient> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(unit().connect());
    ASSERT_TRUE(idle.back().ok()) << idle.back().connect_error();
  }
  for (auto& c : idle) ASSERT_EQ(c.value("SELECT 1"), "1");
  PqClient busy = connected_client();
  busy.exec("BEGIN");
  busy.exec("SELECT 1");
  const std::string pid = show("MainPID");
  // Load beside the idle clients: pgbench, 20 clients with think time between transactions.
  write_file(unit().dir() + "/think.sql",
             "\\set aid random(1, 100000)\n"
             "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"
             "\\sleep 20 ms\n");
  SpawnOptions bench;
  bench.as_test_user = false;
  bench.output_path = unit().dir() + "/pgbench.log";
  bench.env = {"PGPASSWORD=" + password_of("alice")};
  pid_t pgbench = spawn({"/usr/lib/postgresql/15/bin/pgbench", "-h", "127.0.0.1", "-p",
                         std::to_string(unit().port()), "-U", "alice", "-c", "20", "-j", "2", "-T",
                         "15", "-n", "-f", unit().dir() + "/think.sql", "app"},
                        bench);
  auto app_clients = [&] {
    Rows shown = unit().admin().exec("SHOW CLIENTS");
    size_t n = 0;
    for (size_t r = 0; r < shown.size(); ++r) n += shown.at(r, "database") == "app";
    return n;
  };
  ASSERT_TRUE(poll_until([&] { return app_clients() >= 221; }))
      << read_file(unit().dir() + "/pgbench.log");

  CommandResult kill = harness().systemctl({"kill", "-s", "KILL", unit().service()});
  ASSERT_EQ(kill.code, 0) << kill.both();
  ASSERT_TRUE(
      poll_until([&] { return show("NRestarts") == "1" && show("ActiveState") == "active"; }, 30s))
      << show("ActiveState") << " NRestarts=" << show("NRestarts");
  EXPECT_NE(show("MainPID"), pid);

  size_t ok = 0;
  for (size_t i = 0; i < idle.size(); ++i) {
    try {
      if (idle[i].value("SELECT " + std::to_string(i)) == std::to_string(i)) ++ok;
    } catch (const std::exception&) {
    }
  }
  EXPECT_GE(ok * 100, idle.size() * 99) << ok << " of " << idle.size() << " idle clients";
  EXPECT_NE(busy.expect_error("SELECT 2"), "no error") << "a client mid-transaction";
  // pgbench's clients either carried on or got a closed connection; none hangs.
  EXPECT_NE(wait_for_exit(pgbench, 60s), -1) << read_file(unit().dir() + "/pgbench.log");
  EXPECT_TRUE(poll_until(
      [&] {
        return contains(messages({"_SYSTEMD_USER_UNIT=" + unit().service()}),
                        "recovering after a crash");
      },
      20s));
  // The admin console and systemd's status line both report what the restore did.
  Rows state = unit().admin().exec("SHOW STATE");
  EXPECT_GE(std::stoi(state.at(state.only("key", "restored_at_start"), "value")), 198);
  EXPECT_GE(std::stoi(state.at(state.only("key", "dropped_at_start"), "value")), 1);
  EXPECT_TRUE(poll_until([&] { return contains(show("StatusText"), "from the fd store"); }, 20s))
      << show("StatusText");
}

// The cancel key a client got before the crash still cancels its query afterwards: the
// next instance adopted the key with the client.
TEST_F(SystemdTest, ACancelKeyFromBeforeACrashStillCancelsAfterRecovery) {
  install();
  start_socket();
  PqClient client = connected_client();
  PGcancel* cancel = PQgetCancel(client.raw());  // holds the key from the login
  ASSERT_NE(nullptr, cancel);
  CommandResult kill = harness().systemctl({"kill", "-s", "KILL", unit().service()});
  ASSERT_EQ(kill.code, 0) << kill.both();
  ASSERT_TRUE(
      poll_until([&] { return show("NRestarts") == "1" && show("ActiveState") == "active"; }, 30s));
  ASSERT_EQ(1, PQsendQuery(client.raw(), "SELECT pg_sleep(30)"));
  ASSERT_TRUE(poll_until([&] { return pg().is_running("SELECT pg_sleep(30)"); }));
  char error[256] = {0};
  EXPECT_EQ(1, PQcancel(cancel, error, sizeof error)) << error;
  PQfreeCancel(cancel);
  PGresult* result = PQgetResult(client.raw());
  EXPECT_EQ("57014", sqlstate_of(result)) << PQresultErrorMessage(result);
  PQclear(result);
  while (PGresult* extra = PQgetResult(client.raw())) PQclear(extra);
  EXPECT_EQ(client.value("SELECT 1"), "1");
}

// Prepared statements do not fit a crash-safe slot. After a crash, a transaction-pooling
// client that holds some is closed, rather than left to find them gone (26000); a client
// without any stays connected.
TEST_F(SystemdTest, ACrashClosesAClientWhosePreparedStatementsCannotBeRestored) {
  install();
  start_socket();
  PqClient plain = connected_client();
  PqClient prepared = connected_client();
  ASSERT_EQ("", prepared.prepare("s", "SELECT 7"));
  ASSERT_EQ("7", prepared.exec_prepared("s"));
  CommandResult kill = harness().systemctl({"kill", "-s", "KILL", unit().service()});
  ASSERT_EQ(kill.code, 0) << kill.both();
  ASSERT_TRUE(
      poll_until([&] { return show("NRestarts") == "1" && show("ActiveState") == "active"; }, 30s));
  EXPECT_EQ("1", plain.value("SELECT 1"));
  try {
    prepared.exec_prepared("s");
    ADD_FAILURE() << "the client with a prepared statement was kept after the crash";
  } catch (const PqError& e) {
    EXPECT_EQ("", e.sqlstate()) << "expected a closed connection, got: " << e.what();
  }
}

TEST_F(SystemdTest, ACrashDuringRecoveryMakesTheNextStartIgnoreTheStoredState) {
  // In the unit's RuntimeDirectory: the only place the sandboxed service may delete a file.
  const std::string name = "pooler-ACrashDuringRecoveryMakesTheNextStartIgnoreTheStoredState";
  const std::string crash_file = harness().runtime_dir() + "/" + name + "/crash-once";
  install({.default_pool_size = 5,
           .watchdog_sec = "",
           .extra_service_lines = {"Environment=POOLER_TEST_CRASH_ONCE_FILE=" + crash_file}});
  start_socket();
  PqClient client = connected_client();
  write_file(crash_file, "crash once\n");
  CommandResult kill = harness().systemctl({"kill", "-s", "KILL", unit().service()});
  ASSERT_EQ(kill.code, 0) << kill.both();
  // First restart crashes while adopting (the hook); the second ignores the state.
  ASSERT_TRUE(
      poll_until([&] { return show("NRestarts") == "2" && show("ActiveState") == "active"; }, 40s))
      << show("ActiveState") << " NRestarts=" << show("NRestarts");
  EXPECT_TRUE(poll_until(
      [&] {
        return contains(messages({"_SYSTEMD_USER_UNIT=" + unit().service()}),
                        "the previous start crashed while restoring");
      },
      20s));
  PqClient fresh = connected_client();                     // serving again
  EXPECT_NE(client.expect_error("SELECT 1"), "no error");  // its socket was closed, not replayed
  unlink(crash_file.c_str());
}

TEST_F(SystemdTest, AStateOfAnUnknownVersionIsRefusedAndItsConnectionsClosed) {
  install({.default_pool_size = 5,
           .watchdog_sec = "",
           .extra_service_lines = {"Environment=POOLER_TEST_STATE_VERSION=99"}});
  start_socket();
  PqClient client = connected_client();
  CommandResult restart = harness().systemctl({"restart", unit().service()});
  ASSERT_EQ(restart.code, 0) << restart.both();
  EXPECT_TRUE(poll_until(
      [&] {
        return contains(messages({"_SYSTEMD_USER_UNIT=" + unit().service()}),
                        "version 99 is not understood");
      },
      20s));
  EXPECT_NE(client.expect_error("SELECT 1"), "no error");
  PqClient fresh = connected_client();
}

TEST_F(SystemdTest, AFullStoreIsLoggedOnceAndClientsKeepWorking) {
  install(
      {.default_pool_size = 5,
       .watchdog_sec = "",
       .extra_service_lines = {"Environment=POOLER_FD_STORE_MAX=3", "FileDescriptorStoreMax=3"}});
  start_socket();
  std::vector<PqClient> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(connected_client());
  for (auto& c : clients) EXPECT_EQ(c.value("SELECT 7"), "7");
  EXPECT_TRUE(poll_until(
      [&] {
        std::string log = messages({"_SYSTEMD_USER_UNIT=" + unit().service(), "-p", "warning"});
        return contains(log, "fd store full");
      },
      20s));
  std::string log = messages({"_SYSTEMD_USER_UNIT=" + unit().service()});
  size_t first = log.find("fd store full");
  EXPECT_EQ(log.find("fd store full", first + 1), std::string::npos) << "logged more than once";
}

TEST(WithoutSystemd, RunsAndServesQueriesWithoutNotifySocketOrListenFds) {
  for (const char* var : {"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                          "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"}) {
    unsetenv(var);
  }
  PoolerProcess pooler(PgCluster::shared(), {});
  PqClient client = pooler.connect();
  ASSERT_TRUE(client.ok()) << client.connect_error() << "\n" << pooler.log_tail();
  EXPECT_EQ(client.value("SELECT 40 + 2"), "42");
  EXPECT_TRUE(contains(pooler.log(), "listening on 127.0.0.1:" + std::to_string(pooler.port())))
      << pooler.log_tail();
}

}  // namespace
}  // namespace pooler_test
