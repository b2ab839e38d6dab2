// Frames the input as a stream of typed messages and runs every body parser on each
// body (and on the raw input), checking that framing stays inside the buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/auth_query_reply.h"
#include "protocol/backend_messages.h"
#include "protocol/frame.h"

using namespace pooler::protocol;

namespace {

void parse_all(std::string_view body) {
  (void)parse_error_fields(body);
  (void)parse_parameter_status(body);
  if (auto auth = parse_authentication(body)) (void)parse_sasl_mechanisms(auth->payload);
  (void)parse_sasl_mechanisms(body);
  (void)parse_backend_key_data(body);
  (void)parse_cstring_body(body);
  (void)parse_sasl_initial_response(body);
  (void)parse_command_complete(body);
  (void)parse_ready_for_query(body);
  (void)parse_data_row(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parse_all(std::string_view(reinterpret_cast<const char*>(data), size));
  // The same stream as a server's answer to auth_query.
  pooler::auth::AuthQueryReply reply;
  size_t pos = 0;
  while (pos < size) {
    Frame f = next_frame(data + pos, size - pos, 1 << 16);
    if (f.status == Frame::Status::kInvalid && f.error == nullptr) abort();
    if (f.status != Frame::Status::kComplete) break;
    if (f.length < 4 || f.length > (1 << 16)) abort();
    if (f.size() > size - pos) break;  // body not buffered yet
    const std::string_view body(reinterpret_cast<const char*>(data) + pos + 5, f.body_size());
    parse_all(body);
    const bool was_done = reply.done();
    if (reply.add(static_cast<char>(f.type), body) != reply.done()) abort();
    if (was_done && !reply.done()) abort();
    pos += f.size();
  }
  return 0;
}
