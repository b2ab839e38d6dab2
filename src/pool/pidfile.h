#pragma once
#include <string>

#include "core/result.h"

namespace pooler::pool {

// The pidfile: written atomically (temp file + rename), refused while another live
// process owns it, replaced when stale, removed when this object goes away.
class Pidfile {
 public:
  static Result<Pidfile> create(const std::string& path);
  // Before binding anything: a pidfile naming a live process means another pooler runs.
  static Result<void> check_not_running(const std::string& path);
  Pidfile(Pidfile&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  Pidfile& operator=(Pidfile&&) = delete;
  ~Pidfile();

 private:
  explicit Pidfile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace pooler::pool
