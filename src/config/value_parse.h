#pragma once
// Parsers for single setting values. Each error message is written to follow "key: " in
// a diagnostic, e.g. `"abc" is not a number`.
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "core/result.h"

namespace pooler::config {

std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);

// Decimal integer within [min, max]. base 8 is used for file modes.
Result<int> parse_int(std::string_view text, int min, int max, int base = 10);
// Non-negative, finite seconds; fractions allowed ("0.5"). PgBouncer has no unit suffixes.
Result<Seconds> parse_seconds(std::string_view text);
// 0/1, on/off, yes/no, true/false, case-insensitive.
Result<bool> parse_bool(std::string_view text);
// Comma-separated list; items trimmed, empty items dropped.
std::vector<std::string> parse_list(std::string_view text);

// Formats seconds the way PgBouncer's SHOW CONFIG does ("%g": 5, 0.5, 3600).
std::string format_seconds(Seconds s);

}  // namespace pooler::config
