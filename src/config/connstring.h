#pragma once
// The libpq-style "key=value key='quoted value'" strings of [databases] and [users] lines,
// split the way PgBouncer does: values may be single-quoted with '' for a quote inside,
// and empty values are rejected.
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace pooler::config {

using ConnStringPairs = std::vector<std::pair<std::string, std::string>>;

// Returns the pairs in order; keys are lower-cased. The error text names what is wrong
// ("unterminated quote in value of password").
Result<ConnStringPairs> split_connstring(std::string_view text);

}  // namespace pooler::config
