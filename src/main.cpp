// pooler: command line and wiring only.
#include <fcntl.h>
#include <getopt.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "auth/crypto.h"
#include "config/config.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/version.h"
#include "pool/config_files.h"
#include "pool/pidfile.h"
#include "pool/pooler.h"
#include "systemd/listen_fds.h"
#include "systemd/notifier.h"
#include "takeover/rolling_takeover.h"
#include "takeover/store_restore.h"
#include "takeover/systemd_reload.h"
#include "takeover/takeover_client.h"
#include "tls/context.h"

namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG, which systemd also understands

void usage(FILE* out) {
  fprintf(out,
          "pooler %s - a PostgreSQL connection pooler\n\n"
          "Usage: pooler [OPTION]... CONFIG\n\n"
          "  -d, --daemon        run in the background (without systemd)\n"
          "  -R, --takeover      take over listeners and connections from a running pooler\n"
          "                      or PgBouncer on the same Unix socket (alias --reboot)\n"
          "  -v, --verbose       more log output (repeat for more)\n"
          "  -q, --quiet         only warnings and errors on stderr\n"
          "      --check-config  validate CONFIG, print a summary and exit (0 ok, 78 errors)\n"
          "  -V, --version       print the version and exit\n"
          "  -h, --help          this help\n",
          pooler::version());
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
                                        {"takeover", no_argument, nullptr, 'R'},
                                        {"reboot", no_argument, nullptr, 'R'},
                                        {nullptr, 0, nullptr, 0}};
  bool daemon = false, quiet = false, check_only = false, takeover = false;
  int verbose = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "dvqVhR", long_options, nullptr)) != -1) {
    switch (opt) {
      case 'd':
        daemon = true;
        break;
      case 'R':
        takeover = true;
        break;
      case 'v':
        ++verbose;
        break;
      case 'q':
        quiet = true;
        break;
      case 'V':
        printf("pooler %s\n", pooler::version());
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
  pooler::Logger log;
  log.set_quiet(quiet);
  log.use_journal_if_connected();
  pooler::systemd::Notifier notifier;
  auto fail = [&](int exit_code, const std::string& reason) {
    POOLER_LOG(log, pooler::LogLevel::kFatal, "%s", reason.c_str());
    notifier.startup_failed(exit_code == kExitConfig ? EINVAL : EIO, reason);
    return exit_code;
  };

  auto loaded = pooler::config::load_config_file(config_path);
  if (check_only) {
    for (const auto& w : loaded.warnings) fprintf(stderr, "WARNING %s\n", w.to_string().c_str());
    for (const auto& e : loaded.errors) fprintf(stderr, "ERROR %s\n", e.to_string().c_str());
    if (!loaded.ok()) return kExitConfig;
    if (auto files = pooler::pool::ConfigFiles::load(loaded.config->settings); !files) {
      fprintf(stderr, "ERROR %s: %s\n", config_path.c_str(), files.error().message.c_str());
      return kExitConfig;
    }
    printf("%s\n", pooler::config::summarize(*loaded.config).c_str());
    return 0;
  }
  for (const auto& w : loaded.warnings) {
    POOLER_LOG(log, pooler::LogLevel::kWarning, "%s", w.to_string().c_str());
  }
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) {
      POOLER_LOG(log, pooler::LogLevel::kError, "%s", e.to_string().c_str());
    }
    std::string first = loaded.errors.empty() ? "" : loaded.errors.front().to_string();
    return fail(kExitConfig, "invalid configuration, not starting: " + first);
  }
  pooler::config::Config config = std::move(*loaded.config);
  // Auth files, certificates and keys are checked now, before a takeover touches the old
  // process.
  auto files = pooler::pool::ConfigFiles::load(config.settings);
  if (!files) {
    return fail(kExitConfig, "invalid configuration, not starting: " + config_path + ": " +
                                 files.error().message);
  }
  log.set_verbosity(verbose + config.settings.verbose);
  if (!config.settings.logfile.empty() && !log.open_logfile(config.settings.logfile)) {
    return fail(kExitConfig,
                "cannot open logfile " + config.settings.logfile + ": " + strerror(errno));
  }
  log.configure_syslog(config.settings.syslog, config.settings.syslog_ident,
                       config.settings.syslog_facility);
  if (daemon) {
    if (config.settings.logfile.empty() && !config.settings.syslog) {
      return fail(kExitConfig, "--daemon needs a logfile or syslog = 1 (stderr goes away)");
    }
    std::string error;
    if (!daemonize(&error)) return fail(1, error);
  }

  // Everything from here runs in the daemon: directly, or in the double-forked new main
  // process when systemd's ExecReload runs the takeover. status_fd (or -1) receives "ok"
  // once the hand-over is complete, or the reason it failed.
  auto daemon_main = [&](int status_fd) -> int {
    auto tell = [&](const std::string& text) {  // one line to the reload command
      if (status_fd < 0) return;
      std::string line = text + "\n";
      (void)!write(status_fd, line.data(), line.size());
    };
    auto report = [&](const std::string& text) {  // the last line: "ok" or why not
      if (status_fd < 0) return;
      tell(text);
      close(status_fd);
      status_fd = -1;
    };
    auto fail_daemon = [&](int exit_code, const std::string& reason) {
      report("fail: " + reason);
      return fail(exit_code, reason);
    };
    auto inherited = pooler::systemd::take_listen_fds();
    if (!inherited) return fail_daemon(1, "socket activation: " + inherited.error().message);

    if (!takeover && !config.settings.pidfile.empty()) {
      if (auto r = pooler::pool::Pidfile::check_not_running(config.settings.pidfile); !r) {
        return fail_daemon(1, r.error().message);
      }
    }
    // Online takeover: everything the old process holds comes over its Unix socket. If this
    // fails before SHUTDOWN, the old process notices our connection drop and resumes.
    std::optional<pooler::takeover::TakeoverClient> takeover_client;
    bool taking_over = false;
    if (takeover) {
      // OpenSSL's first use reads its config and seeds its generator, a few ms: done now,
      // before the old process holds anyone for us.
      uint8_t warm_up;
      pooler::auth::secure_random(&warm_up, 1);
      takeover_client.emplace(log, config.settings);
      auto got = takeover_client->receive_sockets();
      if (!got) return fail_daemon(1, got.error().message);
      taking_over = got.value();
      for (const auto& st : takeover_client->extra_state()) {
        auto it = st.values.find("watchdog_usec");
        if (st.kind == pooler::takeover::ExtraState::Kind::kProcess && it != st.values.end()) {
          notifier.adopt_watchdog_usec(
              std::chrono::microseconds(std::strtoll(it->second.c_str(), nullptr, 10)));
        }
      }
    }
    std::vector<pooler::systemd::InheritedListener> listeners =
        std::move(inherited.value().listeners);
    std::vector<pooler::takeover::ConnectionRecord> records;
    std::vector<pooler::Socket> sockets;
    if (taking_over) {
      auto& recs = takeover_client->records();
      auto& socks = takeover_client->sockets();
      for (size_t i = 0; i < recs.size(); ++i) {
        if (recs[i].task == pooler::takeover::ConnectionRecord::Task::kListener) {
          pooler::systemd::InheritedListener l;
          l.name = "takeover";
          l.is_unix = recs[i].addr == "unix";
          l.address = pooler::systemd::address_of_listener(socks[i].fd());
          l.socket = std::move(socks[i]);
          listeners.push_back(std::move(l));
        } else {
          records.push_back(std::move(recs[i]));
          sockets.push_back(std::move(socks[i]));
        }
      }
    }

    pooler::EventLoop loop;
    pooler::pool::Pooler pooler(loop, log, std::move(config));
    pooler.set_notifier(&notifier);
    pooler.set_inherited_listeners(std::move(listeners));
    pooler::systemd::FdStore fd_store(log);
    pooler.set_fd_store(&fd_store);
    if (auto r = pooler.start(std::move(files.value())); !r) {
      return fail_daemon(1, r.error().message);
    }
    size_t still_busy_in_old = 0;
    if (taking_over) {
      if (takeover_client->rolling()) pooler.defer_fd_store();
      pooler.use_handover_slots(takeover_client->take_slots_region());
      if (auto r = pooler.adopt(std::move(records), std::move(sockets),
                                takeover_client->extra_state(), /*from_takeover_peer=*/true);
          !r) {
        return fail_daemon(1, r.error().message);
      }
      if (takeover_client->rolling()) {
        // From here the first batch is ours; the rest follows while we serve.
        auto busy = takeover_client->release_batch();
        if (!busy) return fail_daemon(1, busy.error().message);
        still_busy_in_old = busy.value();
      }
      pooler.put_adopted_servers_to_work();
    }
    // Under systemd we become the main process just before the old one leaves.
    auto end_takeover = [&]() -> pooler::Result<void> {
      if (status_fd >= 0) {
        // Said first: if we die after MAINPID=, the reload command gives it back to the old
        // process, which takes back what it gave us.
        tell("main");
        pooler::takeover::announce_new_main_process(notifier);
      }
      // Past "shutdown" the old process is leaving: the main process cannot go back to it.
      auto r = takeover_client->shutdown_old(pooler.settings().pidfile, [&] { tell("shutdown"); });
      pooler.end_handover_slots();  // the old process and its copies are gone
      if (r) pooler.resume_fd_store();
      return r;
    };
    if (taking_over && !takeover_client->rolling()) {
      if (auto r = end_takeover(); !r) return fail_daemon(1, r.error().message);
    }
    // A restart or crash under systemd: sockets an earlier instance left in the fd store.
    {
      auto restore = pooler::takeover::plan_store_restore(inherited.value(), fd_store, log);
      if (!restore.records.empty()) {
        // Crash-loop guard: if adopting crashes us, the next start sees this marker and
        // ignores the stored state instead of crashing on it forever.
        pooler::Socket marker(memfd_create("recovering", MFD_CLOEXEC));
        fd_store.store(marker.fd(), "recovering");
        const char* crash_file = getenv("POOLER_TEST_CRASH_ONCE_FILE");  // test hook
        if (crash_file && unlink(crash_file) == 0) abort();
        const size_t restored = restore.records.size();
        if (auto r =
                pooler.adopt(std::move(restore.records), std::move(restore.sockets), restore.extra);
            !r) {
          return fail_daemon(1, r.error().message);
        }
        fd_store.remove("recovering");
        pooler.set_restore_counts(restored, restore.dropped);
      } else {
        pooler.set_restore_counts(0, restore.dropped);
      }
      if (!(taking_over && takeover_client->rolling())) pooler.publish_slots();
    }

    // Ready means: config loaded, listeners live, admin console answering. The pidfile is
    // written then too, so whoever waits for it can connect at once.
    std::optional<pooler::pool::Pidfile> pidfile;
    const std::string pidfile_path = pooler.settings().pidfile;
    bool ready_failed = false;
    auto become_ready = [&]() {
      if (!pidfile_path.empty()) {
        auto pf = pooler::pool::Pidfile::create(pidfile_path);
        if (!pf) {
          fail_daemon(1, pf.error().message);
          ready_failed = true;
          loop.break_loop();
          return;
        }
        pidfile.emplace(std::move(pf.value()));
      }
      notifier.ready();
      report("ok");
      POOLER_LOG(log, pooler::LogLevel::kLog, "process up: pooler %s, pid %d", pooler::version(),
                 static_cast<int>(getpid()));
    };
    // Test hook: delay READY=1 after the listeners are live (proves ordering in tests).
    pooler::Event ready_timer;
    const char* delay = getenv("POOLER_TEST_READY_DELAY_MS");
    std::optional<pooler::takeover::RollingTakeover> rolling;
    if (taking_over && takeover_client->rolling()) {
      // Ready once the old process is gone; until then we serve beside it.
      rolling.emplace(pooler, *takeover_client, still_busy_in_old, [&]() {
        if (auto r = end_takeover(); !r) {
          fail_daemon(1, r.error().message);
          ready_failed = true;
          loop.break_loop();
          return;
        }
        become_ready();
      });
      rolling->start();
    } else if (delay && atoi(delay) > 0) {
      struct Hook {
        static void fire(evutil_socket_t, short, void* arg) {
          (*static_cast<decltype(become_ready)*>(arg))();
        }
      };
      ready_timer.assign(loop, -1, 0, &Hook::fire, &become_ready);
      ready_timer.add(std::chrono::milliseconds(atoi(delay)));
    } else {
      become_ready();
      if (ready_failed) return 1;
    }
    int rc = pooler.run();
    if (ready_failed) return 1;
    POOLER_LOG(log, pooler::LogLevel::kLog, "shutdown complete");
    return rc;
  };
  const char* main_pid = getenv("MAINPID");
  if (takeover && notifier.enabled() && main_pid && atoi(main_pid) > 0) {
    return pooler::takeover::run_takeover_under_systemd_reload(log, notifier, atoi(main_pid),
                                                               daemon_main);
  }
  return daemon_main(-1);
}
