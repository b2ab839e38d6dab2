#include "config/connstring.h"

#include "config/value_parse.h"

namespace pooler::config {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void skip_spaces(std::string_view text, size_t& pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
}

}  // namespace

Result<ConnStringPairs> split_connstring(std::string_view text) {
  ConnStringPairs pairs;
  size_t pos = 0;
  while (true) {
    skip_spaces(text, pos);
    if (pos >= text.size()) break;

    size_t key_start = pos;
    while (pos < text.size() && text[pos] != '=' && !is_space(text[pos])) ++pos;
    std::string key = to_lower(text.substr(key_start, pos - key_start));
    skip_spaces(text, pos);
    if (pos >= text.size() || text[pos] != '=') {
      return make_error("expected '=' after \"" + key + "\" in connection string");
    }
    if (key.empty()) return make_error("missing parameter name before '=' in connection string");
    ++pos;
    skip_spaces(text, pos);

    std::string value;
    if (pos < text.size() && text[pos] == '\'') {
      ++pos;
      bool closed = false;
      while (pos < text.size()) {
        if (text[pos] == '\'') {
          if (pos + 1 < text.size() && text[pos + 1] == '\'') {
            value += '\'';
            pos += 2;
            continue;
          }
          ++pos;
          closed = true;
          break;
        }
        value += text[pos++];
      }
      if (!closed) return make_error("unterminated quote in value of " + key);
      if (pos < text.size() && !is_space(text[pos])) {
        return make_error("unexpected text after closing quote in value of " + key);
      }
    } else {
      size_t value_start = pos;
      while (pos < text.size() && !is_space(text[pos])) ++pos;
      value.assign(text.substr(value_start, pos - value_start));
    }
    if (value.empty()) return make_error("empty value for " + key);
    pairs.emplace_back(std::move(key), std::move(value));
  }
  return pairs;
}

}  // namespace pooler::config
