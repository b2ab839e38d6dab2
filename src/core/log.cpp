#include "core/log.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdlib>
#include <ctime>
#include <vector>

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

namespace {
int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kFatal:
      return 2;  // crit
    case LogLevel::kError:
      return 3;  // err
    case LogLevel::kWarning:
      return 4;  // warning
    case LogLevel::kLog:
      return 6;  // info
    case LogLevel::kDebug:
    case LogLevel::kNoise:
      return 7;  // debug
  }
  return 6;
}
}  // namespace

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

void Logger::use_journal_if_connected() {
  const char* stream = getenv("JOURNAL_STREAM");
  if (!stream) return;
  unsigned long long dev = 0, ino = 0;
  if (sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return;
  journal_ = st.st_dev == dev && st.st_ino == ino;
}

void Logger::configure_syslog(bool enabled, const std::string& ident, const std::string& facility) {
  if (!enabled) {
    syslog_.reset();
    return;
  }
  const int code = syslog_facility_code(facility).value_or(syslog_facility_code("daemon").value());
  if (syslog_ && syslog_->ident() == ident && syslog_->facility() == code) return;
  syslog_ = std::make_unique<SyslogSink>(ident, code, default_syslog_socket_path());
}

void Logger::write(LogLevel level, const char* file, int line, const LogContext* ctx,
                   const char* fmt, ...) {
  if (!enabled(level)) return;
  char message[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  emit(level, file, line, ctx, message);
}

void Logger::emit(LogLevel level, const char* file, int line, const LogContext* ctx,
                  const char* message) {
  if (syslog_) syslog_->send(syslog_priority(level), message);
  if (using_journal()) {
    // Journal entries carry their own timestamp and pid: the message is just the text.
    std::vector<std::string> fields;
    fields.reserve(12);
    fields.push_back(std::string("MESSAGE=") + message);
    fields.push_back("PRIORITY=" + std::to_string(syslog_priority(level)));
    fields.push_back("SYSLOG_IDENTIFIER=pooler");
    if (file) fields.push_back(std::string("CODE_FILE=") + file);
    if (line > 0) fields.push_back("CODE_LINE=" + std::to_string(line));
    if (ctx) {
      if (ctx->event) fields.push_back(std::string("POOLER_EVENT=") + ctx->event);
      if (!ctx->db.empty()) fields.push_back("POOLER_DB=" + std::string(ctx->db));
      if (!ctx->user.empty()) fields.push_back("POOLER_USER=" + std::string(ctx->user));
      if (!ctx->client_addr.empty()) {
        fields.push_back("POOLER_CLIENT_ADDR=" + std::string(ctx->client_addr));
      }
      if (ctx->conn_id) {
        char id[40];
        snprintf(id, sizeof id, "POOLER_CONN_ID=%p", ctx->conn_id);
        fields.emplace_back(id);
      }
    }
    std::vector<iovec> iov(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      iov[i].iov_base = fields[i].data();
      iov[i].iov_len = fields[i].size();
    }
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) == 0) return;
    // fall through to stderr if the journal refused
  }
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
