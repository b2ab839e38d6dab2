#pragma once
#include <cstdio>
#include <string>

namespace pooler {

enum class LogLevel { kFatal = 0, kError, kWarning, kLog, kDebug, kNoise };

// PgBouncer-shaped lines: "2026-11-24 12:00:00.123 UTC [4242] LOG C-0x55d1...: app/alice@... msg".
// Owned by the Pooler; no global logger.
class Logger {
 public:
  Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

  void set_verbosity(int verbose) { verbosity_ = verbose; }
  int verbosity() const { return verbosity_; }
  void set_quiet(bool quiet) { quiet_ = quiet; }
  // Empty path: stderr. Returns false (and keeps the old target) if the file cannot be opened.
  bool open_logfile(const std::string& path);

  bool enabled(LogLevel level) const {
    return static_cast<int>(level) <= static_cast<int>(LogLevel::kLog) + verbosity_;
  }
  void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void write_line(LogLevel level, const char* message);

 private:
  int verbosity_ = 0;
  bool quiet_ = false;
  FILE* file_ = nullptr;  // nullptr = stderr
};

const char* log_level_name(LogLevel level);

}  // namespace pooler
