// Process and file plumbing shared by the integration fixtures: the unprivileged test user,
// temp dirs, free ports, spawning children and polling for conditions.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace pooler_test {

using namespace std::chrono_literals;

// The system user that runs PostgreSQL and the pooler (initdb and PgBouncer refuse root).
struct TestUser {
  uid_t uid;
  gid_t gid;
};
// Creates the user `pooler-test` on first use if it is missing.
const TestUser& test_user();

// A fresh directory under /tmp owned by the test user, mode 0700.
std::string make_temp_dir(const std::string& prefix);
// Removes a directory made by make_temp_dir unless POOLER_TEST_KEEP_DIRS is set.
void remove_temp_dir(const std::string& dir);

// A TCP port on 127.0.0.1 that nobody was listening on a moment ago.
int free_port();
// True when something accepts TCP connections on 127.0.0.1:port.
bool tcp_port_accepts(int port);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
// The last `lines` lines of a text.
std::string tail(const std::string& text, size_t lines);

struct SpawnOptions {
  bool as_test_user = true;      // setgid/setuid to pooler-test in the child
  std::string output_path;       // stdout+stderr go here (appended); /dev/null if empty
  std::vector<std::string> env;  // extra KEY=VALUE entries
  int death_signal = 9;          // sent to the child if the test binary dies (PR_SET_PDEATHSIG)
};

// fork + exec; throws std::runtime_error if the fork fails.
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options);
// Waits up to `deadline` for the child; returns its raw wait status, or -1 if still running.
int wait_for_exit(pid_t pid, std::chrono::milliseconds deadline);
// True while the child has not exited (reaps it if it has; `status` receives the wait status).
bool still_running(pid_t pid, int* status = nullptr);
// spawn + wait (up to 5 minutes); returns the exit code, or -1 for a signal/timeout.
int run(const std::vector<std::string>& argv, const SpawnOptions& options);
// Sends `signal`, then SIGKILL after `grace`; always reaps the child.
void terminate(pid_t pid, int signal, std::chrono::milliseconds grace);

// Polls `condition` every 20 ms until it holds or `deadline` passes; returns the last answer.
// Exceptions thrown by the condition count as "not yet".
bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline = 20s);

}  // namespace pooler_test
