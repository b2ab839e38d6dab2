// The I/O edge of the config module: reads real files for parse_config.
#include "config/config.h"
#include "core/text_file.h"

namespace pooler::config {

LoadResult load_config_file(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (!text) {
    LoadResult result;
    result.errors.push_back(
        Diagnostic{Location{path, 0}, "", "could not read config file: " + text.error().message});
    return result;
  }
  return parse_config(text.value(), path, read_text_file);
}

}  // namespace pooler::config
