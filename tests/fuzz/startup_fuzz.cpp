// Startup-phase packets: parse_startup must never read past the input, and what it
// reports must be consistent with the bytes it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "protocol/startup.h"

using namespace pooler::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  StartupParse r = parse_startup(data, size);
  switch (r.status) {
    case StartupParse::Status::kComplete:
      if (r.consumed < 8 || r.consumed > size) abort();
      if (r.packet.kind == StartupPacket::Kind::kStartup &&
          (r.packet.param("user") == nullptr || r.packet.param("database") == nullptr)) {
        abort();
      }
      break;
    case StartupParse::Status::kInvalid:
      if (r.error.sqlstate == nullptr || r.error.message.empty()) abort();
      break;
    case StartupParse::Status::kIncomplete:
      break;
  }
  return 0;
}
