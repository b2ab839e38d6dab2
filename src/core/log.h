#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/syslog_sink.h"

namespace pooler {

enum class LogLevel { kFatal = 0, kError, kWarning, kLog, kDebug, kNoise };

// Structured fields of a connection event. Under journald they become POOLER_EVENT,
// POOLER_DB, POOLER_USER, POOLER_CLIENT_ADDR and POOLER_CONN_ID; in plain text the
// message already names them the way PgBouncer does.
struct LogContext {
  const char* event = nullptr;  // login, login_failed, disconnect, server_connect, ...
  std::string_view db;
  std::string_view user;
  std::string_view client_addr;
  const void* conn_id = nullptr;
};

// PgBouncer-shaped lines: "2026-11-24 12:00:00.123 UTC [4242] LOG C-0x55d1...: app/alice@... msg",
// or native journal entries when stderr is connected to journald. Owned by the Pooler's
// caller; no global logger.
class Logger {
 public:
  Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

  void set_verbosity(int verbose) { verbosity_ = verbose; }
  int verbosity() const { return verbosity_; }
  void set_quiet(bool quiet) { quiet_ = quiet; }
  // Empty path: stderr (or the journal). Returns false, keeping the old target, on failure.
  bool open_logfile(const std::string& path);
  // Uses sd_journal_send when $JOURNAL_STREAM names our stderr (systemd.exec(5)).
  void use_journal_if_connected();
  bool using_journal() const { return journal_ && file_ == nullptr; }
  // syslog, syslog_ident, syslog_facility: lines go to the local syslog daemon too, as
  // PgBouncer sends them. An unknown facility name falls back to daemon (the config parser
  // refuses one before it gets here).
  void configure_syslog(bool enabled, const std::string& ident, const std::string& facility);
  const SyslogSink* syslog_sink() const { return syslog_.get(); }

  bool enabled(LogLevel level) const {
    return static_cast<int>(level) <= static_cast<int>(LogLevel::kLog) + verbosity_;
  }
  void write(LogLevel level, const char* file, int line, const LogContext* ctx, const char* fmt,
             ...) __attribute__((format(printf, 6, 7)));

 private:
  void emit(LogLevel level, const char* file, int line, const LogContext* ctx, const char* message);
  int verbosity_ = 0;
  bool quiet_ = false;
  bool journal_ = false;
  FILE* file_ = nullptr;  // nullptr = stderr
  std::unique_ptr<SyslogSink> syslog_;
};

const char* log_level_name(LogLevel level);

}  // namespace pooler

#define POOLER_LOG(logger, level, ...) \
  (logger).write((level), __FILE__, __LINE__, nullptr, __VA_ARGS__)
#define POOLER_LOG_EVENT(logger, level, ctx, ...) \
  (logger).write((level), __FILE__, __LINE__, &(ctx), __VA_ARGS__)
