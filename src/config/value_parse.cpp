#include "config/value_parse.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace pooler::config {

namespace {

std::string quote_text(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Upper bound for durations: keeps later conversion to microseconds far from overflow.
constexpr double kMaxSeconds = 1e9;

}  // namespace

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<int> parse_int(std::string_view text, int min, int max, int base) {
  text = trim(text);
  long long v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v, base);
  if (text.empty() || ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return make_error(quote_text(text) +
                      (base == 8 ? " is not an octal number" : " is not a number"));
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    if (v < 0 && min == 0 && ec == std::errc())
      return make_error(quote_text(text) + " must not be negative");
    std::string range = base == 8 ? "" : std::to_string(min) + ".." + std::to_string(max);
    return make_error(quote_text(text) + " is out of range" + (range.empty() ? "" : " " + range));
  }
  return static_cast<int>(v);
}

Result<Seconds> parse_seconds(std::string_view text) {
  text = trim(text);
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v, std::chars_format::fixed);
  if (text.empty() || ptr != end || ec != std::errc() || !std::isfinite(v)) {
    return make_error(quote_text(text) + " is not a number of seconds");
  }
  if (v < 0) return make_error(quote_text(text) + " must not be negative");
  if (v > kMaxSeconds) return make_error(quote_text(text) + " is out of range");
  return Seconds{v};
}

Result<bool> parse_bool(std::string_view text) {
  text = trim(text);
  for (std::string_view t : {"1", "on", "yes", "true"}) {
    if (iequals(text, t)) return true;
  }
  for (std::string_view f : {"0", "off", "no", "false"}) {
    if (iequals(text, f)) return false;
  }
  return make_error(quote_text(text) + " is not a boolean (use 0/1, on/off, yes/no, true/false)");
}

std::vector<std::string> parse_list(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string format_seconds(Seconds s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", s.count());
  return buf;
}

}  // namespace pooler::config
