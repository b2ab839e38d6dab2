// Feeds arbitrary bytes to the ini parser; includes always fail to read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pooler::config::LoadResult r = pooler::config::parse_config(
      text, "fuzz.ini",
      [](const std::string&) { return pooler::Result<std::string>(pooler::Error{"no files"}); });
  for (const auto& d : r.errors) (void)d.to_string();
  if (r.ok()) {
    (void)pooler::config::summarize(*r.config);
    (void)pooler::config::show_config_rows(r.config->settings);
    (void)r.config->find_database("x");
  }
  return 0;
}
