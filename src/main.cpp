// pooler: command line and wiring only.
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "config/config.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "pool/pidfile.h"
#include "pool/pooler.h"

namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG, which systemd also understands

void usage(FILE* out) {
  fprintf(out, "pooler " POOLER_VERSION
               " - a PostgreSQL connection pooler\n\n"
               "Usage: pooler [OPTION]... CONFIG\n\n"
               "  -d, --daemon        run in the background (without systemd)\n"
               "  -v, --verbose       more log output (repeat for more)\n"
               "  -q, --quiet         only warnings and errors on stderr\n"
               "      --check-config  validate CONFIG, print a summary and exit (0 ok, 78 errors)\n"
               "  -V, --version       print the version and exit\n"
               "  -h, --help          this help\n");
}

bool daemonize(std::string* error) {
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(errno);
    return false;
  }
  if (pid > 0) _exit(0);
  setsid();
  pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(errno);
    return false;
  }
  if (pid > 0) _exit(0);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    if (devnull > STDERR_FILENO) close(devnull);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  enum { kCheckConfig = 1000 };
  static const option long_options[] = {{"daemon", no_argument, nullptr, 'd'},
                                        {"verbose", no_argument, nullptr, 'v'},
                                        {"quiet", no_argument, nullptr, 'q'},
                                        {"version", no_argument, nullptr, 'V'},
                                        {"help", no_argument, nullptr, 'h'},
                                        {"check-config", no_argument, nullptr, kCheckConfig},
                                        {nullptr, 0, nullptr, 0}};
  bool daemon = false, quiet = false, check_only = false;
  int verbose = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "dvqVh", long_options, nullptr)) != -1) {
    switch (opt) {
      case 'd':
        daemon = true;
        break;
      case 'v':
        ++verbose;
        break;
      case 'q':
        quiet = true;
        break;
      case 'V':
        printf("pooler %s\n", POOLER_VERSION);
        return 0;
      case 'h':
        usage(stdout);
        return 0;
      case kCheckConfig:
        check_only = true;
        break;
      default:
        usage(stderr);
        return 64;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "pooler: exactly one CONFIG file expected\n\n");
    usage(stderr);
    return 64;
  }
  const std::string config_path = argv[optind];
  auto loaded = pooler::config::load_config_file(config_path);
  for (const auto& w : loaded.warnings) fprintf(stderr, "WARNING %s\n", w.to_string().c_str());
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) fprintf(stderr, "ERROR %s\n", e.to_string().c_str());
    fprintf(stderr, "pooler: %s: configuration is invalid, not starting\n", config_path.c_str());
    return kExitConfig;
  }
  pooler::config::Config config = std::move(*loaded.config);
  if (check_only) {
    printf("%s\n", pooler::config::summarize(config).c_str());
    return 0;
  }

  pooler::Logger log;
  log.set_verbosity(verbose + config.settings.verbose);
  log.set_quiet(quiet);
  if (!config.settings.logfile.empty() && !log.open_logfile(config.settings.logfile)) {
    fprintf(stderr, "pooler: cannot open logfile %s: %s\n", config.settings.logfile.c_str(),
            strerror(errno));
    return kExitConfig;
  }
  if (daemon) {
    if (config.settings.logfile.empty()) {
      fprintf(stderr, "pooler: --daemon needs a logfile (stderr goes away)\n");
      return kExitConfig;
    }
    std::string error;
    if (!daemonize(&error)) {
      fprintf(stderr, "pooler: %s\n", error.c_str());
      return 1;
    }
  }

  std::optional<pooler::pool::Pidfile> pidfile;
  if (!config.settings.pidfile.empty()) {
    auto pf = pooler::pool::Pidfile::create(config.settings.pidfile);
    if (!pf) {
      log.log(pooler::LogLevel::kFatal, "%s", pf.error().message.c_str());
      return 1;
    }
    pidfile.emplace(std::move(pf.value()));
  }

  pooler::EventLoop loop;
  pooler::pool::Pooler pooler(loop, log, std::move(config));
  if (auto r = pooler.start(); !r) {
    log.log(pooler::LogLevel::kFatal, "%s", r.error().message.c_str());
    return 1;
  }
  log.log(pooler::LogLevel::kLog, "process up: pooler %s, pid %d", POOLER_VERSION,
          static_cast<int>(getpid()));
  int rc = pooler.run();
  log.log(pooler::LogLevel::kLog, "shutdown complete");
  return rc;
}
