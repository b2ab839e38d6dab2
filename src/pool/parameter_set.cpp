#include "pool/parameter_set.h"

#include <strings.h>

namespace pooler::pool {

namespace {
constexpr std::array<std::string_view, kTrackedParamCount> kNames = {
    "client_encoding",  "DateStyle",    "TimeZone", "standard_conforming_strings",
    "application_name", "IntervalStyle"};
}

std::optional<TrackedParam> tracked_param_by_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (name.size() == kNames[i].size() &&
        strncasecmp(name.data(), kNames[i].data(), name.size()) == 0) {
      return static_cast<TrackedParam>(i);
    }
  }
  return std::nullopt;
}

std::string_view tracked_param_name(TrackedParam p) {
  return kNames[static_cast<size_t>(p)];
}

bool ParameterSet::set(std::string_view name, std::string_view value) {
  auto p = tracked_param_by_name(name);
  if (!p) return false;
  set(*p, value);
  return true;
}

size_t ParameterSet::offset_of(TrackedParam p) const {
  size_t offset = 0;
  for (size_t i = 0; i < index(p); ++i) {
    if (known_ & (1u << i)) offset = packed_.find('\0', offset) + 1;
  }
  return offset;
}

std::string_view ParameterSet::get(TrackedParam p) const {
  if (!has(p)) return {};
  const size_t start = offset_of(p);
  return std::string_view(packed_).substr(start, packed_.find('\0', start) - start);
}

void ParameterSet::set(TrackedParam p, std::string_view value) {
  value = value.substr(0, value.find('\0'));
  const size_t start = offset_of(p);
  if (has(p)) {
    packed_.replace(start, packed_.find('\0', start) - start, value);
  } else {
    packed_.insert(start, 1, '\0');
    packed_.insert(start, value);
    known_ |= bit(p);
  }
}

void ParameterSet::fill_missing_from(const ParameterSet& defaults) {
  for (size_t i = 0; i < kTrackedParamCount; ++i) {
    auto p = static_cast<TrackedParam>(i);
    if (!has(p) && defaults.has(p)) set(p, defaults.get(p));
  }
}

std::string quote_literal(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string ParameterSet::sync_query(const ParameterSet& wanted, const ParameterSet& actual) {
  // The common case on every server link: nothing differs. One compare instead of six lookups.
  if (wanted.known_ == actual.known_ && wanted.packed_ == actual.packed_) return {};
  std::string sql;
  for (size_t i = 0; i < kTrackedParamCount; ++i) {
    auto p = static_cast<TrackedParam>(i);
    const std::string_view w = wanted.get(p);
    if (!wanted.has(p) || (actual.has(p) && w == actual.get(p))) continue;
    sql += "SET ";
    sql += kNames[i];
    sql += '=';
    sql += quote_literal(w);
    sql += ';';
  }
  return sql;
}

}  // namespace pooler::pool
