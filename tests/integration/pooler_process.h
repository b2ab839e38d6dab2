// A pooler (or PgBouncer) process under test, with its own ini, userlist.txt, log and port.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pg_cluster.h"
#include "pq_client.h"

namespace pooler_test {

struct PoolerOptions {
  std::string pool_mode = "transaction";
  int default_pool_size = 5;
  int max_client_conn = 100;
  std::string auth_type = "scram-sha-256";  // trust, plain, md5, scram-sha-256
  std::optional<int> query_wait_timeout;
  // userlist.txt holds alice's SCRAM secret from pg_authid instead of her password.
  bool alice_scram_secret = false;
  // userlist.txt holds bob's md5 secret ("md5" + md5(password + user)) instead of his password.
  bool bob_md5_secret = false;
  std::vector<std::string> extra_pooler_lines;    // raw lines for the [pgbouncer] section
  std::vector<std::string> extra_database_lines;  // raw lines for [databases]
  std::vector<std::string> extra_userlist_lines;  // raw lines appended to userlist.txt
  std::vector<std::string> env;                   // extra KEY=VALUE for the process
};

// The password of each user in userlist.txt: alice-pw, bob-pw, carol-pw, admin-pw.
std::string password_of(const std::string& user);

class PoolerProcess {
 public:
  // Writes the config and starts the binary; throws if it does not accept TCP within 20 s.
  PoolerProcess(const PgCluster& pg, PoolerOptions options);
  ~PoolerProcess();
  PoolerProcess(const PoolerProcess&) = delete;
  PoolerProcess& operator=(const PoolerProcess&) = delete;

  // POOLER_TEST_BINARY if set, else the pooler built with these tests.
  static std::string binary();
  static bool is_pgbouncer();
  // The admin console database: "pooler", or "pgbouncer" when testing PgBouncer.
  static std::string admin_db();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string ini_path() const { return dir_ + "/pooler.ini"; }
  const PoolerOptions& options() const { return options_; }

  // The ini text for `options` (with this process's ports and paths).
  std::string render_ini(const PoolerOptions& options) const;
  // Rewrites pooler.ini and userlist.txt; does not reload.
  void rewrite_config(const PoolerOptions& options);
  // Replaces pooler.ini with `text` verbatim; does not reload.
  void rewrite_ini(const std::string& text);
  void reload() const;  // SIGHUP

  std::string log() const;
  std::string log_tail(size_t lines = 60) const;

  // "host=127.0.0.1 port=... user=... password=... dbname=..."
  std::string conninfo(const std::string& user, const std::string& database = "app") const;
  PqClient connect(const std::string& user = "alice", const std::string& database = "app") const;
  PqClient admin() const;

  void stop();  // SIGTERM, SIGKILL after 10 s; idempotent
  void send_signal(int signal) const;
  // True if the process exited (and was reaped) within `deadline`.
  bool exits_within(std::chrono::milliseconds deadline);

 private:
  void write_userlist(const PoolerOptions& options) const;

  const PgCluster& pg_;
  PoolerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pooler_test
