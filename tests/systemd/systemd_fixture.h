// The fixture of the tests against a real systemd user manager: one pooler unit per test
// in the shared harness, with helpers to read systemd properties and the journal.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "pg_cluster.h"
#include "pooler_unit.h"
#include "pq_client.h"
#include "process_util.h"
#include "systemd_harness.h"

namespace pooler_test {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SystemdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // scripts/test runs as root; a run that cannot start a manager must fail, not pass silently.
    ASSERT_EQ(geteuid(), 0u) << "the systemd tests need root to run a systemd manager";
    ASSERT_TRUE(harness().running()) << "systemd harness: " << harness().start_error();
  }
  void TearDown() override {
    if (unit_ && HasFailure()) {
      std::cerr << "---- journal of " << unit_->service() << " ----\n"
                << unit_->journal_tail() << "---- status ----\n"
                << harness().systemctl({"status", unit_->service()}).both() << "---- end ----\n";
    }
    unit_.reset();
  }

  static SystemdHarness& harness() { return SystemdHarness::shared(); }
  static PgCluster& pg() { return PgCluster::shared(); }

  // Installs NAME.socket/NAME.service for this test (NAME from the test's name).
  PoolerUnit& install(UnitOptions options = {}) {
    std::string name =
        std::string("pooler-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    unit_ = std::make_unique<PoolerUnit>(harness(), pg(), name, std::move(options));
    return *unit_;
  }
  PoolerUnit& unit() { return *unit_; }
  std::string show(const std::string& prop) { return harness().show(prop, unit_->service()); }

  void start_socket() {
    CommandResult r = harness().systemctl({"start", unit_->socket()});
    ASSERT_EQ(r.code, 0) << r.both();
  }
  // Installs and starts the unit; the new process of every `systemctl reload` exits at
  // `point` of the takeover (POOLER_TEST_TAKEOVER_ABORT_AT, read only by the takeover
  // client, which only ExecReload runs).
  void start_unit_whose_reload_dies_at(const std::string& point) {
    UnitOptions options;
    options.extra_service_lines = {"Environment=POOLER_TEST_TAKEOVER_ABORT_AT=" + point};
    install(options);
    start_socket();
  }
  // A client whose login went through; runs one query to make sure.
  PqClient connected_client() {
    PqClient client = unit_->connect();
    EXPECT_TRUE(client.ok()) << client.connect_error();
    if (client.ok()) {
      EXPECT_EQ(client.value("SELECT 40 + 2"), "42");
    }
    return client;
  }
  // The MESSAGE of every journal entry matching `args`, one per line.
  std::string messages(const std::vector<std::string>& args) {
    std::string text;
    for (const JournalEntry& e : harness().journal_entries(args)) {
      auto it = e.find("MESSAGE");
      if (it != e.end()) text += it->second + "\n";
    }
    return text;
  }

 private:
  std::unique_ptr<PoolerUnit> unit_;
};

// The local port of a libpq connection: the same TCP connection before and after.
inline int local_port(PqClient& client) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(PQsocket(client.raw()), reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// Gone, or a zombie its parent (the manager) has not reaped yet: either way it runs no more.
inline bool exited_or_zombie(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return stat.empty();  // vanished between the two looks
  return paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

}  // namespace pooler_test
