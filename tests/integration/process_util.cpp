#include "process_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pooler_test {
namespace {

constexpr const char* kTestUserName = "pooler-test";

std::runtime_error errno_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

const TestUser& test_user() {
  static const TestUser user = [] {
    if (getpwnam(kTestUserName) == nullptr) {
      std::string cmd =
          std::string("useradd --system --no-create-home --shell /usr/sbin/nologin ") +
          kTestUserName + " 2>/dev/null";
      // A concurrent run may have created it meanwhile; the lookup below decides.
      [[maybe_unused]] int rc = std::system(cmd.c_str());
    }
    const passwd* pw = getpwnam(kTestUserName);
    if (pw == nullptr) throw std::runtime_error("cannot create system user pooler-test");
    return TestUser{pw->pw_uid, pw->pw_gid};
  }();
  return user;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw errno_error("mkdtemp");
  const TestUser& user = test_user();
  if (chown(tmpl.c_str(), user.uid, user.gid) != 0) throw errno_error("chown " + tmpl);
  chmod(tmpl.c_str(), 0700);
  return tmpl;
}

void remove_temp_dir(const std::string& dir) {
  if (dir.empty() || std::getenv("POOLER_TEST_KEEP_DIRS") != nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw errno_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw errno_error("bind 127.0.0.1:0");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool tcp_port_accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  while (pos > 0 && lines > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    --lines;
  }
  return lines == 0 ? text.substr(pos + 1) : text;
}

pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  // Everything the child needs is prepared before fork: the child only makes syscalls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (const std::string& e : options.env) env_storage.push_back(e);
  std::vector<char*> env;
  for (const std::string& e : env_storage) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  const std::string output = options.output_path.empty() ? "/dev/null" : options.output_path;
  const TestUser user = options.as_test_user ? test_user() : TestUser{getuid(), getgid()};
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) throw errno_error("fork");
  if (pid > 0) return pid;

  // Child.
  setpgid(0, 0);  // own process group: a terminal ^C goes to the test binary only
  int out = open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int in = open("/dev/null", O_RDONLY);
  if (out < 0 || in < 0) _exit(126);
  if (options.as_test_user) {
    if (fchown(out, user.uid, user.gid) != 0) { /* best effort */
    }
    gid_t groups[1] = {user.gid};
    if (setgroups(1, groups) != 0 || setgid(user.gid) != 0 || setuid(user.uid) != 0) _exit(126);
  }
  // After the credential change: a uid change clears the parent-death signal.
  prctl(PR_SET_PDEATHSIG, options.death_signal);
  if (getppid() != parent) _exit(126);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  if (out > 2) close(out);
  if (in > 2) close(in);
  execve(args[0], args.data(), env.data());
  _exit(127);
}

int wait_for_exit(pid_t pid, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return 0;  // already reaped
    if (std::chrono::steady_clock::now() >= end) return -1;
    std::this_thread::sleep_for(10ms);
  }
}

bool still_running(pid_t pid, int* status) {
  int st = 0;
  pid_t r = waitpid(pid, &st, WNOHANG);
  if (r == 0) return true;
  if (status != nullptr) *status = st;
  return false;
}

int run(const std::vector<std::string>& argv, const SpawnOptions& options) {
  pid_t pid = spawn(argv, options);
  int status = wait_for_exit(pid, 5min);
  if (status == -1) {
    terminate(pid, SIGKILL, 1s);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void terminate(pid_t pid, int signal, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  kill(pid, signal);
  if (wait_for_exit(pid, grace) == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
}

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    bool ok = false;
    try {
      ok = condition();
    } catch (const std::exception&) {
      ok = false;
    }
    if (ok) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace pooler_test
