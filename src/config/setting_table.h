#pragma once
// The table of [pooler] keys: how each one parses into Settings, its PgBouncer default text
// and whether a reload may change it. SHOW CONFIG and the ini reader both go through it so
// the two can never disagree about which keys exist.
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace pooler::config {

struct ConfigRow {
  std::string key, value, default_value;
  bool changeable;  // false: takes effect only on restart (PgBouncer's CF_NO_RELOAD)
};

struct ApplyOutcome {
  bool known = true;       // false: no such key; nothing changed
  std::string error;       // non-empty: bad value, Settings unchanged; follows "key: "
  std::string warning;     // non-empty: accepted, but the operator should know something
  bool reloadable = true;  // false: a running process keeps its value until restart
};

// Sets the field named `key` (case-insensitive) from the raw ini text `value`.
ApplyOutcome apply_setting(Settings& settings, std::string_view key, std::string_view value);

// One row per known key in alphabetical order, as PgBouncer's SHOW CONFIG lists them.
std::vector<ConfigRow> show_config_rows(const Settings& settings);

}  // namespace pooler::config
