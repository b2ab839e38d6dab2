#pragma once
#include <map>
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

// One connection as a block of "name=value" lines (FDNAME, SHOW FDS columns, parameters):
// the unit of both the restart state and the crash-safe slots.
std::string encode_connection_block(const std::string& fdname, const ConnectionRecord& record,
                                    const std::map<std::string, std::string>& params);
struct ConnectionBlock {
  std::string fdname;
  ConnectionRecord record;
  std::map<std::string, std::string> params;
};
Result<ConnectionBlock> decode_connection_block(std::string_view text);
// Refuses an unknown version or a malformed block with a message that says which.
Result<RestartState> decode_restart_state(std::string_view text);

}  // namespace pooler::takeover
