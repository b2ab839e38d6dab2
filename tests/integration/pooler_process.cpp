#include "pooler_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "process_util.h"

#ifndef POOLER_BINARY
#error "POOLER_BINARY must name the pooler binary under test"
#endif

namespace pooler_test {

std::string password_of(const std::string& user) {
  return user + "-pw";
}

std::string PoolerProcess::binary() {
  const char* env = std::getenv("POOLER_TEST_BINARY");
  return env != nullptr && *env != '\0' ? env : POOLER_BINARY;
}

bool PoolerProcess::is_pgbouncer() {
  return binary().find("pgbouncer") != std::string::npos;
}

std::string PoolerProcess::admin_db() {
  return is_pgbouncer() ? "pgbouncer" : "pooler";
}

PoolerProcess::PoolerProcess(const PgCluster& pg, PoolerOptions options)
    : pg_(pg), options_(std::move(options)) {
  dir_ = make_temp_dir("pooler-it");
  port_ = free_port();
  rewrite_config(options_);
  SpawnOptions spawn_options;
  spawn_options.output_path = dir_ + "/pooler.log";
  spawn_options.env = options_.env;
  pid_ = spawn({binary(), "-v", ini_path()}, spawn_options);
  int status = 0;
  bool up = poll_until(
      [&] {
        if (!still_running(pid_, &status)) throw std::runtime_error("exited");
        return tcp_port_accepts(port_);
      },
      20s);
  if (!up) {
    bool exited = !still_running(pid_, &status);
    if (exited) pid_ = -1;
    std::string log_text = log_tail();
    stop();
    remove_temp_dir(dir_);
    throw std::runtime_error(std::string(exited ? "pooler exited during startup"
                                                : "pooler did not accept TCP within 20 s") +
                             "; log:\n" + log_text);
  }
}

PoolerProcess::~PoolerProcess() {
  stop();
  remove_temp_dir(dir_);
}

std::string PoolerProcess::render_ini(const PoolerOptions& o) const {
  const std::string pg_port = std::to_string(pg_.port());
  std::ostringstream ini;
  ini << "[databases]\n"
      << "app = host=127.0.0.1 port=" << pg_port << " dbname=app\n";
  for (const std::string& line : o.extra_database_lines) ini << line << "\n";
  ini << "* = host=127.0.0.1 port=" << pg_port << "\n"
      << "\n[pgbouncer]\n"
      << "listen_addr = 127.0.0.1\n"
      << "listen_port = " << port_ << "\n"
      << "unix_socket_dir = " << dir_ << "\n"
      << "auth_file = " << dir_ << "/userlist.txt\n"
      << "auth_type = " << o.auth_type << "\n"
      << "admin_users = admin\n"
      << "pool_mode = " << o.pool_mode << "\n"
      << "default_pool_size = " << o.default_pool_size << "\n"
      << "max_client_conn = " << o.max_client_conn << "\n"
      << "logfile =\n"
      << "pidfile = " << dir_ << "/pooler.pid\n";
  if (o.query_wait_timeout) ini << "query_wait_timeout = " << *o.query_wait_timeout << "\n";
  for (const std::string& line : o.extra_pooler_lines) ini << line << "\n";
  return ini.str();
}

void PoolerProcess::write_userlist(const PoolerOptions& o) const {
  auto entry = [](const std::string& user, const std::string& secret) {
    return "\"" + user + "\" \"" + secret + "\"\n";
  };
  std::string text;
  text += entry("alice", o.alice_scram_secret ? pg_.secret_of("alice") : password_of("alice"));
  text += entry("bob", o.bob_md5_secret ? pg_.secret_of("bob") : password_of("bob"));
  text += entry("carol", password_of("carol"));
  text += entry("admin", password_of("admin"));
  for (const std::string& line : o.extra_userlist_lines) text += line + "\n";
  write_file(dir_ + "/userlist.txt", text);
}

void PoolerProcess::rewrite_config(const PoolerOptions& options) {
  options_ = options;
  write_userlist(options);
  rewrite_ini(render_ini(options));
}

void PoolerProcess::rewrite_ini(const std::string& text) {
  write_file(ini_path(), text);
}

void PoolerProcess::reload() const {
  if (pid_ > 0) kill(pid_, SIGHUP);
}

std::string PoolerProcess::log() const {
  return read_file(dir_ + "/pooler.log");
}

std::string PoolerProcess::log_tail(size_t lines) const {
  return tail(log(), lines);
}

std::string PoolerProcess::conninfo(const std::string& user, const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user +
         " password=" + password_of(user) + " dbname=" + database;
}

PqClient PoolerProcess::connect(const std::string& user, const std::string& database) const {
  return PqClient::connect(conninfo(user, database));
}

PqClient PoolerProcess::admin() const {
  return connect("admin", admin_db());
}

void PoolerProcess::send_signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

bool PoolerProcess::exits_within(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return true;
  if (wait_for_exit(pid_, deadline) == -1) return false;
  pid_ = -1;
  return true;
}

void PoolerProcess::stop() {
  if (pid_ <= 0) return;
  terminate(pid_, SIGTERM, 10s);
  pid_ = -1;
  // In the sanitized build a report (a leak found at exit, say) need not fail any query:
  // the log is where it shows.
  const std::string text = log();
  for (const char* mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    if (text.find(mark) != std::string::npos) {
      ADD_FAILURE() << "sanitizer report in the pooler's log (" << dir_ << "):\n"
                    << text.substr(text.find(mark), 4000);
      break;
    }
  }
}

}  // namespace pooler_test
