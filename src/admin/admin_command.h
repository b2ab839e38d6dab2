#pragma once
#include <string>
#include <string_view>

#include "core/result.h"

namespace pooler::admin {

// One admin console statement, e.g. "SHOW POOLS;" or "pause app". Verbs and the SHOW
// subject are upper-cased; the argument (a database name) keeps its case.
struct AdminCommand {
  std::string verb;      // SHOW, PAUSE, RESUME, SUSPEND, RELOAD, SHUTDOWN, KILL, ...
  std::string subject;   // for SHOW: POOLS, CLIENTS, ...; for SET: the key, lower case
  std::string argument;  // a database name; for SET: the value, unquoted
};

// Pure: no I/O. Errors carry the text the client sees.
Result<AdminCommand> parse_admin_command(std::string_view sql);

std::string upper_ascii(std::string_view s);

}  // namespace pooler::admin
