#pragma once
// Untyped startup-phase packets: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/frame.h"

namespace pooler::protocol {

struct StartupPacket {
  enum class Kind : uint8_t { kStartup, kSslRequest, kGssEncRequest, kCancelRequest };
  Kind kind = Kind::kStartup;
  uint32_t version = 0;  // protocol version (kStartup) or the request code
  // In packet order; "database" is present (defaulted to the user name) when kStartup.
  // Protocol options ("_pq_." prefix) are kept here too; the caller decides about them.
  std::vector<std::pair<std::string, std::string>> params;
  uint32_t cancel_pid = 0, cancel_key = 0;

  // Value of the parameter, last occurrence wins (as in PostgreSQL); nullptr if absent.
  const std::string* param(std::string_view name) const;
  uint16_t major_version() const { return uint16_t(version >> 16); }
  uint16_t minor_version() const { return uint16_t(version & 0xffff); }
  // True if the client asked for a newer 3.x minor or sent "_pq_." options: PostgreSQL
  // then sends NegotiateProtocolVersion (see append_negotiate_protocol_version).
  bool wants_protocol_negotiation() const;
};

struct StartupError {
  const char* sqlstate = nullptr;
  std::string message;  // what the FATAL says
};

struct StartupParse {
  enum class Status : uint8_t { kIncomplete, kComplete, kInvalid } status = Status::kIncomplete;
  size_t consumed = 0;  // bytes of the packet when kComplete
  StartupPacket packet;
  StartupError error;  // set when kInvalid
};

// Parses one startup-phase packet from the start of `data`, following PostgreSQL's
// ProcessStartupPacket. kIncomplete until the whole packet (per its length word) is
// buffered; a bad length is reported as soon as the length word is readable.
StartupParse parse_startup(const uint8_t* data, size_t len);

}  // namespace pooler::protocol
