// A real systemd 252 user manager (root's) and journald in a private mount namespace, driven
// through the sd-harness-*.sh scripts next to this file (the recipe and its pitfalls are in
// docs/systemd-test-harness.md). Nothing touches the host's /run/systemd, /etc or journal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace pooler_test {

struct CommandResult {
  int code = -1;    // exit code; -1 for a signal or a timeout
  std::string out;  // stdout
  std::string err;  // stderr
  std::string both() const { return out + err; }
};

// Runs argv[0] (an absolute path) as root with `env` added to this process's environment and
// captures its output; kills it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// One journal entry of `journalctl -o export`: field name -> value (the last one if repeated).
using JournalEntry = std::map<std::string, std::string>;
std::vector<JournalEntry> parse_journal_export(const std::string& text);

class SystemdHarness {
 public:
  // The harness shared by every test in this binary (started by its gtest Environment).
  static SystemdHarness& shared();

  void start();  // throws std::runtime_error with the manager's output if it does not come up
  void stop();   // idempotent; removes the scratch directory
  bool running() const { return !dir_.empty(); }
  // Why start() failed, for tests to report ("" when it did not).
  const std::string& start_error() const { return start_error_; }

  // The scratch directory H: units/, xdg/ (XDG_RUNTIME_DIR, %t), log/journal, ...
  const std::string& dir() const { return dir_; }
  std::string runtime_dir() const { return dir_ + "/xdg"; }
  pid_t manager_pid() const;

  // `systemctl --user ARGS...` against this manager.
  CommandResult systemctl(const std::vector<std::string>& args) const;
  // `systemctl --user show -P PROP UNIT`, without the trailing newline.
  std::string show(const std::string& prop, const std::string& unit) const;
  // `journalctl -D H/log/journal --no-pager ARGS...`, after `journalctl --sync` in the namespace.
  CommandResult journal(const std::vector<std::string>& args) const;
  // The journal entries matching `args` (adds -o export).
  std::vector<JournalEntry> journal_entries(const std::vector<std::string>& args) const;
  void sync_journal() const;
  // Runs argv inside the harness's mount namespace (nsenter -m into the manager).
  CommandResult in_namespace(const std::vector<std::string>& argv) const;

  void write_unit(const std::string& name, const std::string& text) const;
  void remove_unit(const std::string& name) const;
  void daemon_reload() const;

 private:
  std::vector<std::string> env() const;
  std::string dir_;
  std::string start_error_;
};

}  // namespace pooler_test
