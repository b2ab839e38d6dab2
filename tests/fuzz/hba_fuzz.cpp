// Feeds arbitrary bytes to the auth_hba_file parser (an @file reads the input again, so
// includes and their nesting limit are exercised), then matches every rule it accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/hba.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = pooler::auth::parse_hba(
      text, "fuzz.conf",
      [&text](const std::string&) -> pooler::Result<std::string> { return text; });
  if (!r.ok()) {
    if (r.error().message.rfind("fuzz.conf:", 0) != 0) abort();  // errors name file and line
    return 0;
  }
  for (const char* address : {"127.0.0.1", "::1", "10.1.2.3", "not an address"}) {
    (void)r.value().match({false, false, address, "app", "alice"});
    (void)r.value().match({false, true, address, "alice", "alice"});
  }
  (void)r.value().match({true, false, "", "app", "alice"});
  return 0;
}
