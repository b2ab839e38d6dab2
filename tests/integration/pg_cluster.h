// One throwaway PostgreSQL 15 cluster per test binary run, shared by all tests.
//
// Roles (all LOGIN): alice (SCRAM, "alice-pw", owns database app), bob (md5-stored, "bob-pw",
// authenticated with md5 by pg_hba), carol (SCRAM, "carol-pw"); superuser postgres over the Unix
// socket only (trust). TCP on 127.0.0.1 requires a password, so a pooler really authenticates.
// Database app is initialized with `pgbench -i -s 1` as alice.
#pragma once

#include <sys/types.h>

#include <string>

#include "pq_client.h"

namespace pooler_test {

class PgCluster {
 public:
  // The cluster started by the test environment for this run.
  static PgCluster& shared();

  void start();    // initdb on first call, then postgres; waits until it accepts connections
  void stop();     // fast shutdown, waits for the postmaster
  void restart();  // stop + start on the same port: what `pg_ctl restart -m fast` does
  void destroy();  // stop and remove the data directory

  int port() const { return port_; }
  const std::string& socket_dir() const { return dir_; }

  // A superuser connection over the Unix socket.
  PqClient superuser(const std::string& database = "postgres") const;
  // Runs `sql` as superuser on a fresh connection; throws PqError.
  Rows sql(const std::string& sql, const std::string& database = "postgres") const;
  // Exactly one backend is executing `query` right now (pg_stat_activity, state active).
  bool is_running(const std::string& query) const;
  // The stored password secret of a role (SCRAM-SHA-256$... or md5...).
  std::string secret_of(const std::string& role) const;

  std::string log_tail(size_t lines = 40) const;

 private:
  void init();
  void launch();

  std::string dir_;  // temp dir: data/, postgres.log, Unix socket
  int port_ = 0;
  pid_t postmaster_ = -1;
};

}  // namespace pooler_test
