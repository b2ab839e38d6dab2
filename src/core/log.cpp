#include "core/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdarg>
#include <ctime>

namespace pooler {

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kFatal:
      return "FATAL";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kLog:
      return "LOG";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kNoise:
      return "NOISE";
  }
  return "LOG";
}

Logger::~Logger() {
  if (file_) fclose(file_);
}

bool Logger::open_logfile(const std::string& path) {
  if (path.empty()) {
    if (file_) fclose(file_);
    file_ = nullptr;
    return true;
  }
  FILE* f = fopen(path.c_str(), "a");
  if (!f) return false;
  setvbuf(f, nullptr, _IOLBF, 0);
  if (file_) fclose(file_);
  file_ = f;
  return true;
}

void Logger::log(LogLevel level, const char* fmt, ...) {
  if (!enabled(level)) return;
  char message[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  write_line(level, message);
}

void Logger::write_line(LogLevel level, const char* message) {
  if (quiet_ && file_ == nullptr && level > LogLevel::kWarning) return;
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm t{};
  gmtime_r(&tv.tv_sec, &t);
  char stamp[64];
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &t);
  FILE* out = file_ ? file_ : stderr;
  fprintf(out, "%s.%03d UTC [%d] %s %s\n", stamp, static_cast<int>(tv.tv_usec / 1000),
          static_cast<int>(getpid()), log_level_name(level), message);
  if (!file_) fflush(stderr);
}

}  // namespace pooler
