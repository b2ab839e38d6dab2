// Base fixture for integration tests: the shared PostgreSQL cluster, one pooler per test, and
// the pooler's log tail printed when a test fails.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "pg_cluster.h"
#include "pooler_process.h"
#include "pq_client.h"
#include "process_util.h"

namespace pooler_test {

class PoolerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (pooler_ && HasFailure()) {
      std::cerr << "---- pooler log tail (" << pooler_->dir() << ") ----\n"
                << pooler_->log_tail() << "\n---- end of pooler log ----\n";
    }
    pooler_.reset();
  }

  static PgCluster& pg() { return PgCluster::shared(); }

  // Starts the pooler for this test (replacing a previous one).
  PoolerProcess& start_pooler(const PoolerOptions& options = {}) {
    pooler_.reset();
    pooler_ = std::make_unique<PoolerProcess>(pg(), options);
    return *pooler_;
  }
  PoolerProcess& pooler() { return *pooler_; }

  // A connected client; the test fails at once if the login fails.
  PqClient connect(const std::string& user = "alice", const std::string& database = "app") {
    PqClient client = pooler_->connect(user, database);
    EXPECT_TRUE(client.ok()) << user << "@" << database << ": " << client.connect_error();
    return client;
  }
  PqClient admin() {
    PqClient client = pooler_->admin();
    EXPECT_TRUE(client.ok()) << "admin console: " << client.connect_error();
    return client;
  }

  // pgbench as alice on app through this test's pooler (`args` before the database name), as
  // root (it only connects), its output in the pooler's directory under `log`.
  struct PgbenchCommand {
    std::vector<std::string> argv;
    SpawnOptions options;
  };
  PgbenchCommand pgbench_command(const std::vector<std::string>& args,
                                 const std::string& log = "pgbench.log") {
    PgbenchCommand c;
    c.argv = {"/usr/lib/postgresql/15/bin/pgbench", "-n", "-j",   "2", "-h", "127.0.0.1", "-p",
              std::to_string(pooler_->port()),      "-U", "alice"};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.argv.push_back("app");
    c.options.as_test_user = false;
    c.options.output_path = pooler_->dir() + "/" + log;
    c.options.env = {"PGPASSWORD=" + password_of("alice")};
    return c;
  }
  // pgbench's report says it processed transactions and none failed.
  static void expect_pgbench_clean(const std::string& output) {
    std::smatch failed;
    EXPECT_TRUE(
        std::regex_search(output, failed, std::regex(R"(number of failed transactions: (\d+))")))
        << output;
    if (!failed.empty()) {
      EXPECT_EQ("0", failed[1].str()) << output;
    }
    std::smatch processed;
    EXPECT_TRUE(std::regex_search(
        output, processed, std::regex(R"(number of transactions actually processed: (\d+))")))
        << output;
    if (!processed.empty()) {
      EXPECT_GT(std::stoll(processed[1].str()), 0) << output;
    }
  }

  // The value of `column` in the SHOW POOLS row for database/user ("" if there is none).
  std::string pool_stat(const std::string& column, const std::string& database = "app",
                        const std::string& user = "alice") {
    Rows pools = admin().exec("SHOW POOLS");
    for (size_t r = 0; r < pools.size(); ++r) {
      if (pools.at(r, "database") == database && pools.at(r, "user") == user) {
        return pools.at(r, column);
      }
    }
    return "";
  }

 private:
  std::unique_ptr<PoolerProcess> pooler_;
};

}  // namespace pooler_test
