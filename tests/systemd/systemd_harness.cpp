#include "systemd_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "process_util.h"

#ifndef POOLER_SOURCE_DIR
#error "POOLER_SOURCE_DIR must name the source tree (for the harness scripts and units/)"
#endif

extern char** environ;

namespace pooler_test {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string scripts_dir() {
  return std::string(POOLER_SOURCE_DIR) + "/tests/systemd";
}

// The scratch directory must not be under /tmp or /var/tmp: the shipped unit has PrivateTmp=yes,
// and the test units read their pooler.ini from there. POOLER_SYSTEMD_TEST_DIR overrides.
std::string scratch_base() {
  const char* env = std::getenv("POOLER_SYSTEMD_TEST_DIR");
  return env != nullptr && *env != '\0' ? env : "/run";
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          std::chrono::milliseconds timeout) {
  char out_tmpl[] = "/tmp/sdh-out-XXXXXX";
  char err_tmpl[] = "/tmp/sdh-err-XXXXXX";
  int out = mkstemp(out_tmpl);
  int err = mkstemp(err_tmpl);
  if (out < 0 || err < 0) throw std::runtime_error(std::string("mkstemp: ") + strerror(errno));
  unlink(out_tmpl);
  unlink(err_tmpl);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (const std::string& e : env) env_storage.push_back(e);
  std::vector<char*> envp;
  for (const std::string& e : env_storage) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  int status = wait_for_exit(pid, timeout);
  if (status == -1) terminate(pid, SIGKILL, std::chrono::seconds(1));
  CommandResult r;
  r.code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto read_all = [](int fd) {
    std::string text;
    lseek(fd, 0, SEEK_SET);
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(fd);
    return text;
  };
  r.out = read_all(out);
  r.err = read_all(err);
  return r;
}

std::vector<JournalEntry> parse_journal_export(const std::string& text) {
  // Export format: "FIELD=value\n" lines, a blank line between entries; a field that is not
  // plain text is "FIELD\n" + little-endian 64-bit size + data + "\n".
  std::vector<JournalEntry> entries;
  JournalEntry current;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) {
      if (!current.empty()) entries.push_back(std::move(current));
      current.clear();
      continue;
    }
    size_t eq = line.find('=');
    if (eq != std::string::npos) {
      current[line.substr(0, eq)] = line.substr(eq + 1);
      continue;
    }
    if (pos + 8 > text.size()) break;
    uint64_t size = 0;
    for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(text[pos + i]);
    pos += 8;
    if (pos + size > text.size()) break;
    current[line] = text.substr(pos, size);
    pos += size + 1;
  }
  if (!current.empty()) entries.push_back(std::move(current));
  return entries;
}

SystemdHarness& SystemdHarness::shared() {
  static SystemdHarness harness;
  return harness;
}

void SystemdHarness::start() {
  if (running()) return;
  std::string tmpl = scratch_base() + "/pooler-sdtest.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    start_error_ = "mkdtemp " + tmpl + ": " + strerror(errno);
    throw std::runtime_error(start_error_);
  }
  chmod(tmpl.c_str(), 0700);
  dir_ = tmpl;
  CommandResult r = run_command({"/bin/sh", scripts_dir() + "/sd-harness-start.sh", dir_});
  if (r.code != 0) {
    start_error_ = "sd-harness-start.sh failed (" + std::to_string(r.code) + "): " + r.both() +
                   slurp(dir_ + "/manager.out");
    stop();
    throw std::runtime_error(start_error_);
  }
  start_error_.clear();
}

void SystemdHarness::stop() {
  if (!running()) return;
  run_command({"/bin/sh", scripts_dir() + "/sd-harness-stop.sh", dir_});
  std::error_code ec;
  if (std::getenv("POOLER_TEST_KEEP_DIRS") == nullptr) std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

pid_t SystemdHarness::manager_pid() const {
  return static_cast<pid_t>(std::atol(slurp(dir_ + "/manager.pid").c_str()));
}

std::vector<std::string> SystemdHarness::env() const {
  return {"XDG_RUNTIME_DIR=" + runtime_dir(), "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "LANG=C.UTF-8"};
}

CommandResult SystemdHarness::systemctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"/usr/bin/systemctl", "--user", "--no-pager"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env());
}

std::string SystemdHarness::show(const std::string& prop, const std::string& unit) const {
  std::string out = systemctl({"show", "-P", prop, unit}).out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

CommandResult SystemdHarness::in_namespace(const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"/usr/bin/nsenter", "-t", std::to_string(manager_pid()), "-m",
                                   "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full, env());
}

void SystemdHarness::sync_journal() const {
  in_namespace({"/usr/bin/journalctl", "--sync"});
}

CommandResult SystemdHarness::journal(const std::vector<std::string>& args) const {
  sync_journal();
  std::vector<std::string> argv = {"/usr/bin/journalctl", "-D", dir_ + "/log/journal",
                                   "--no-pager"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env());
}

std::vector<JournalEntry> SystemdHarness::journal_entries(
    const std::vector<std::string>& args) const {
  std::vector<std::string> full = args;
  full.push_back("-o");
  full.push_back("export");
  return parse_journal_export(journal(full).out);
}

void SystemdHarness::write_unit(const std::string& name, const std::string& text) const {
  write_file(dir_ + "/units/" + name, text);
}

void SystemdHarness::remove_unit(const std::string& name) const {
  std::error_code ec;
  std::filesystem::remove(dir_ + "/units/" + name, ec);
}

void SystemdHarness::daemon_reload() const {
  CommandResult r = systemctl({"daemon-reload"});
  if (r.code != 0) throw std::runtime_error("daemon-reload failed: " + r.both());
}

namespace {

// Starts the shared harness before the first test and stops it after the last. Starting it
// needs root and /lib/systemd/systemd; tests report start_error() if it is not there.
class HarnessEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (geteuid() != 0) return;
    try {
      SystemdHarness::shared().start();
    } catch (const std::exception& e) {
      std::cerr << "systemd harness did not start: " << e.what() << "\n";
    }
  }
  void TearDown() override { SystemdHarness::shared().stop(); }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new HarnessEnvironment);

}  // namespace

}  // namespace pooler_test
