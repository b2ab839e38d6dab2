// The I/O edge of the config module: reads real files for parse_config.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config.h"

namespace pooler::config {

namespace {

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(buf).str();
}

}  // namespace

LoadResult load_config_file(const std::string& path) {
  std::optional<std::string> text = read_whole_file(path);
  if (!text) {
    LoadResult result;
    result.errors.push_back(Diagnostic{
        Location{path, 0}, "", "could not read config file: " + std::string(std::strerror(errno))});
    return result;
  }
  return parse_config(*text, path, read_whole_file);
}

}  // namespace pooler::config
