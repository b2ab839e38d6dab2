#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "takeover/connection_record.h"
#include "takeover/connection_state.h"

namespace pooler::takeover {

// What a graceful restart leaves in the systemd fd store beside the sockets (a memfd named
// "state"): one block per stored connection, keyed by its FDNAME, with the same
// ConnectionRecord and ExtraState a takeover carries, plus the stats totals. Versioned text.
struct RestartState {
  std::vector<std::pair<std::string, ConnectionRecord>> connections;  // FDNAME -> record
  std::vector<ExtraState> extra;  // per old fd (clients, servers) and per database
};

std::string encode_restart_state(const RestartState& state);
// Refuses an unknown version or a malformed block with a message that says which.
Result<RestartState> decode_restart_state(std::string_view text);

}  // namespace pooler::takeover
