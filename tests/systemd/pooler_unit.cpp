#include "pooler_unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "pooler_process.h"
#include "process_util.h"

#ifndef POOLER_BINARY
#error "POOLER_BINARY must name the pooler binary under test"
#endif

namespace pooler_test {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

std::string source_file(const std::string& relative_path) {
  std::string path = std::string(POOLER_SOURCE_DIR) + "/" + relative_path;
  if (!std::filesystem::exists(path)) throw std::runtime_error("missing " + path);
  return read_file(path);
}

PoolerUnit::PoolerUnit(const SystemdHarness& harness, const PgCluster& pg, std::string name,
                       UnitOptions options)
    : harness_(harness), pg_(pg), name_(std::move(name)), options_(std::move(options)) {
  // Short: the Unix socket path must fit in sun_path (108 bytes); unit names can be long.
  static int counter = 0;
  dir_ = harness_.dir() + "/u" + std::to_string(++counter);
  std::filesystem::create_directories(dir_);
  chmod(dir_.c_str(), 0700);
  port_ = free_port();
  std::string userlist;
  for (const char* user : {"alice", "bob", "carol", "admin"}) {
    userlist += "\"" + std::string(user) + "\" \"" + password_of(user) + "\"\n";
  }
  write_file(dir_ + "/userlist.txt", userlist);
  write_ini(render_ini(options_.default_pool_size));
  harness_.write_unit(socket(), socket_text());
  harness_.write_unit(service(), service_text());
  harness_.daemon_reload();
}

PoolerUnit::~PoolerUnit() {
  harness_.systemctl({"stop", socket(), service()});
  harness_.systemctl({"reset-failed", socket(), service()});
  harness_.remove_unit(socket());
  harness_.remove_unit(service());
  try {
    harness_.daemon_reload();
  } catch (...) {
  }
}

std::string PoolerUnit::service_binary() const {
  // The build tree may be under /tmp, which PrivateTmp=yes hides from the service: run a
  // copy from the harness directory (under /run), made once per harness or per unit.
  const std::string copy =
      options_.own_binary ? dir_ + "/pooler" : harness_.dir() + "/pooler-under-test";
  if (access(copy.c_str(), X_OK) != 0) {
    std::filesystem::copy_file(POOLER_BINARY, copy,
                               std::filesystem::copy_options::overwrite_existing);
    chmod(copy.c_str(), 0755);
  }
  return copy;
}

std::string PoolerUnit::service_text() const {
  // Only what a root user manager cannot take as shipped is changed; everything else, the
  // whole sandbox included, is what a package installs.
  std::istringstream in(source_file("units/pooler.service"));
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    if (starts_with(line, "ExecStart=")) {
      line = "ExecStart=" + service_binary() + " " + ini_path();
    } else if (starts_with(line, "ExecReload=/usr/bin/pooler --takeover")) {
      line = "ExecReload=" + service_binary() + " --takeover " + ini_path();
    } else if (starts_with(line, "User=") || starts_with(line, "Group=")) {
      line = "# user manager: runs as root instead of " + line;
    } else if (starts_with(line, "PIDFile=")) {
      line = "PIDFile=%t/" + name_ + "/pooler.pid";  // %t = XDG_RUNTIME_DIR here, /run there
    } else if (starts_with(line, "RuntimeDirectory=")) {
      line = "RuntimeDirectory=" + name_;
    } else if (starts_with(line, "WatchdogSec=") && !options_.watchdog_sec.empty()) {
      line = "WatchdogSec=" + options_.watchdog_sec;
    } else if (starts_with(line, "WantedBy=")) {
      line = "# not enabled in tests: " + line;
    }
    replace_all(line, "pooler.socket", socket());
    if (line == "[Install]") {
      // At the end of [Service], so a test's setting wins over the shipped one.
      for (const std::string& extra : options_.extra_service_lines) out << extra << "\n";
      out << "\n";
    }
    out << line << "\n";
  }
  return out.str();
}

std::string PoolerUnit::socket_text() const {
  std::istringstream in(source_file("units/pooler.socket"));
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    if (line == "ListenStream=6432") {
      line = "ListenStream=127.0.0.1:" + std::to_string(port_);
    } else if (line == "ListenStream=/run/pooler/.s.PGSQL.6432") {
      line = "ListenStream=" + unix_socket_path();
    } else if (starts_with(line, "ListenStream=")) {
      throw std::runtime_error("units/pooler.socket has a ListenStream= the test does not know: " +
                               line);
    } else if (starts_with(line, "WantedBy=")) {
      line = "# not enabled in tests: " + line;
    }
    out << line << "\n";
  }
  return out.str();
}

std::string PoolerUnit::render_ini(int default_pool_size) const {
  const std::string pg_port = std::to_string(pg_.port());
  std::ostringstream ini;
  ini << "[databases]\n"
      << "app = host=127.0.0.1 port=" << pg_port << " dbname=app\n"
      << "\n[pooler]\n"
      << "listen_addr = 127.0.0.1\n"
      << "listen_port = " << port_ << "\n"
      << "unix_socket_dir = " << dir_ << "\n"
      << "auth_file = " << dir_ << "/userlist.txt\n"
      << "auth_type = scram-sha-256\n"
      << "admin_users = admin\n"
      << "pool_mode = transaction\n"
      << "default_pool_size = " << default_pool_size << "\n"
      << "logfile =\n"
      << "pidfile = " << harness_.runtime_dir() << "/" << name_ << "/pooler.pid\n";
  return ini.str();
}

void PoolerUnit::write_ini(const std::string& text) const {
  write_file(ini_path(), text);
}

std::string PoolerUnit::conninfo(const std::string& user, const std::string& database,
                                 const std::string& password) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user +
         " password=" + password + " dbname=" + database;
}

PqClient PoolerUnit::connect(const std::string& user, const std::string& database) const {
  return PqClient::connect(conninfo(user, database, password_of(user)));
}

PqClient PoolerUnit::admin() const {
  return connect("admin", "pooler");
}

std::string PoolerUnit::journal_tail(size_t lines) const {
  return harness_
      .journal({"--user-unit", service(), "--user-unit", socket(), "-n", std::to_string(lines)})
      .both();
}

}  // namespace pooler_test
