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

void ParameterSet::fill_missing_from(const ParameterSet& defaults) {
  for (size_t i = 0; i < kTrackedParamCount; ++i) {
    auto p = static_cast<TrackedParam>(i);
    if (!has(p) && defaults.has(p)) set(p, defaults.values_[i]);
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
  std::string sql;
  for (size_t i = 0; i < kTrackedParamCount; ++i) {
    auto p = static_cast<TrackedParam>(i);
    const std::string& w = wanted.values_[i];
    if (!wanted.has(p) || (actual.has(p) && w == actual.values_[i])) continue;
    sql += "SET ";
    sql += kNames[i];
    sql += '=';
    sql += quote_literal(w);
    sql += ';';
  }
  return sql;
}

}  // namespace pooler::pool
