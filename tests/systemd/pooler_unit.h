// pooler.socket + pooler.service as shipped in units/, rewritten only where a test under a
// user manager needs it, installed into the shared SystemdHarness under a per-test name.
#pragma once

#include <string>
#include <vector>

#include "pg_cluster.h"
#include "pq_client.h"
#include "systemd_harness.h"

namespace pooler_test {

struct UnitOptions {
  int default_pool_size = 5;
  std::string watchdog_sec;                      // replaces WatchdogSec= when not empty
  std::vector<std::string> extra_service_lines;  // appended to [Service]
  // The unit runs a copy of the binary of its own, which a test may replace (an upgrade).
  bool own_binary = false;
};

class PoolerUnit {
 public:
  // `name` becomes NAME.socket / NAME.service. Writes pooler.ini, userlist.txt and both units,
  // then daemon-reload. Starts nothing.
  PoolerUnit(const SystemdHarness& harness, const PgCluster& pg, std::string name,
             UnitOptions options = {});
  ~PoolerUnit();  // stops both units and removes them
  PoolerUnit(const PoolerUnit&) = delete;
  PoolerUnit& operator=(const PoolerUnit&) = delete;

  std::string service() const { return name_ + ".service"; }
  std::string socket() const { return name_ + ".socket"; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string ini_path() const { return dir_ + "/pooler.ini"; }
  std::string unix_socket_path() const { return dir_ + "/.s.PGSQL." + std::to_string(port_); }

  // The binary the units run: a copy visible to the sandboxed service.
  std::string service_binary() const;
  // The unit texts derived from units/pooler.{service,socket}.
  std::string service_text() const;
  std::string socket_text() const;
  // The pooler.ini for this unit with `default_pool_size`.
  std::string render_ini(int default_pool_size) const;
  void write_ini(const std::string& text) const;

  std::string conninfo(const std::string& user, const std::string& database,
                       const std::string& password) const;
  PqClient connect(const std::string& user = "alice", const std::string& database = "app") const;
  PqClient admin() const;

  // Everything the journal has for this service and its manager lines (for failure output).
  std::string journal_tail(size_t lines = 60) const;

 private:
  const SystemdHarness& harness_;
  const PgCluster& pg_;
  std::string name_;
  UnitOptions options_;
  std::string dir_;
  int port_ = 0;
};

// The text of a file in the source tree (units/pooler.service, ...).
std::string source_file(const std::string& relative_path);

}  // namespace pooler_test
