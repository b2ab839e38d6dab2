#include "pg_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <stdexcept>

#include "process_util.h"

namespace pooler_test {
namespace {

const std::string kPgBin = "/usr/lib/postgresql/15/bin/";

// Starts the shared cluster before the first test and stops it after the last.
class ClusterEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    try {
      PgCluster::shared().start();
    } catch (const std::exception& e) {
      FAIL() << "cannot start PostgreSQL: " << e.what() << "\n" << PgCluster::shared().log_tail();
    }
  }
  void TearDown() override { PgCluster::shared().destroy(); }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

}  // namespace

PgCluster& PgCluster::shared() {
  static PgCluster cluster;
  return cluster;
}

void PgCluster::start() {
  if (dir_.empty()) {
    init();
    launch();
    sql("CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
    sql("CREATE ROLE carol LOGIN PASSWORD 'carol-pw'");
    sql("SET password_encryption = 'md5'; CREATE ROLE bob LOGIN PASSWORD 'bob-pw'");
    sql("CREATE DATABASE app OWNER alice");
    SpawnOptions pgbench;
    pgbench.as_test_user = false;
    pgbench.output_path = dir_ + "/pgbench-init.log";
    pgbench.env = {"PGPASSWORD=alice-pw"};
    int rc = run({kPgBin + "pgbench", "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-p",
                  std::to_string(port_), "-U", "alice", "app"},
                 pgbench);
    if (rc != 0) throw std::runtime_error("pgbench -i failed: " + read_file(pgbench.output_path));
  } else if (postmaster_ < 0) {
    launch();
  }
}

void PgCluster::init() {
  dir_ = make_temp_dir("pooler-it-pg");
  port_ = free_port();
  SpawnOptions options;
  options.output_path = dir_ + "/initdb.log";
  int rc = run({kPgBin + "initdb", "-D", dir_ + "/data", "-U", "postgres", "--no-locale", "-E",
                "UTF8", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256"},
               options);
  if (rc != 0) throw std::runtime_error("initdb failed: " + read_file(options.output_path));
  write_file(dir_ + "/data/pg_hba.conf",
             "local all postgres trust\n"
             "host all bob 127.0.0.1/32 md5\n"
             "host all erin 127.0.0.1/32 md5\n"  // auth_query_test: md5 from the database
             "host all all 127.0.0.1/32 scram-sha-256\n");
  std::string conf = read_file(dir_ + "/data/postgresql.conf");
  conf +=
      "\n# pooler integration tests\n"
      "port = " +
      std::to_string(port_) +
      "\n"
      "listen_addresses = '127.0.0.1'\n"
      "unix_socket_directories = '" +
      dir_ +
      "'\n"
      "max_connections = 200\n"
      "fsync = off\n"
      "synchronous_commit = off\n"
      "full_page_writes = off\n"
      "password_encryption = 'scram-sha-256'\n"
      "logging_collector = off\n";
  write_file(dir_ + "/data/postgresql.conf", conf);
}

void PgCluster::launch() {
  SpawnOptions options;
  options.output_path = dir_ + "/postgres.log";
  options.death_signal = SIGQUIT;  // immediate shutdown if the test binary dies
  postmaster_ = spawn({kPgBin + "postgres", "-D", dir_ + "/data"}, options);
  const std::string conninfo =
      "host=" + dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  bool ready = poll_until(
      [&] {
        if (!still_running(postmaster_)) throw std::runtime_error("postgres exited");
        return PQping(conninfo.c_str()) == PQPING_OK;
      },
      60s);
  if (!ready) {
    terminate(postmaster_, SIGQUIT, 10s);
    postmaster_ = -1;
    throw std::runtime_error("postgres did not become ready");
  }
}

void PgCluster::stop() {
  if (postmaster_ < 0) return;
  terminate(postmaster_, SIGINT, 60s);  // SIGINT = fast shutdown
  postmaster_ = -1;
}

void PgCluster::restart() {
  stop();
  launch();
}

void PgCluster::destroy() {
  stop();
  remove_temp_dir(dir_);
}

PqClient PgCluster::superuser(const std::string& database) const {
  return PqClient::connect("host=" + dir_ + " port=" + std::to_string(port_) +
                           " user=postgres dbname=" + database);
}

bool PgCluster::is_running(const std::string& query) const {
  std::string quoted;
  for (char ch : query) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
  return sql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = '" + quoted +
             "'")
             .scalar() == "1";
}

Rows PgCluster::sql(const std::string& sql, const std::string& database) const {
  PqClient client = superuser(database);
  if (!client.ok()) throw PqError("", "superuser connection failed: " + client.connect_error());
  return client.exec(sql);
}

std::string PgCluster::secret_of(const std::string& role) const {
  return sql("SELECT rolpassword FROM pg_authid WHERE rolname = '" + role + "'").scalar();
}

std::string PgCluster::log_tail(size_t lines) const {
  return dir_.empty() ? "" : tail(read_file(dir_ + "/postgres.log"), lines);
}

}  // namespace pooler_test
