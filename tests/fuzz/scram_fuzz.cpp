// Feeds arbitrary bytes to both sides of a SCRAM exchange: parsers must return errors, never
// crash. The first byte picks the target; the rest is split at the first '\n' into two
// messages so that final-message parsers are reached after a valid first step.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/crypto.h"
#include "auth/scram_client.h"
#include "auth/scram_secret.h"
#include "auth/scram_server.h"

using namespace pooler::auth;

namespace {

ScramSecret fixed_secret() {
  // Iteration count 1 keeps the fuzzer fast; parsing does not depend on it.
  static const ScramSecret secret = make_scram_secret("pencil", "0123456789abcdef", 1);
  return secret;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t nl = in.find('\n');
  std::string_view first = in.substr(0, nl);
  std::string_view second = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

  switch (data[0] % 4) {
    case 0: {  // server: fuzzed client-first, then fuzzed client-final
      ScramServer server(fixed_secret(), "srv");
      if (server.handle_client_first(first)) (void)server.handle_client_final(second);
      break;
    }
    case 1: {  // server: valid client-first, fuzzed client-final
      ScramServer server(fixed_secret(), "srv");
      if (server.handle_client_first("n,,n=,r=cli")) (void)server.handle_client_final(in);
      break;
    }
    case 2: {  // client with keys (no PBKDF2 on fuzzed iteration counts): fuzzed server-first
      ScramClient client = ScramClient::with_keys(Key{}, Key{}, "cli");
      client.client_first_message();
      if (client.handle_server_first(first)) (void)client.verify_server_final(second);
      break;
    }
    default: {  // secret and base64 parsers
      if (auto s = parse_scram_secret(in)) (void)format_scram_secret(*s);
      if (auto b = base64_decode(in)) (void)base64_encode(*b);
      break;
    }
  }
  return 0;
}
