// Feeds arbitrary bytes as a client's message stream to prepared-statement routing, with
// arbitrary server replies interleaved: nothing may read out of bounds or leave the pending
// replies inconsistent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pool/statement_router.h"
#include "protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pooler;
  pool::ClientStatements client;
  pool::ServerStatements server;
  pool::PendingResponses pending;
  pool::StatementRegistry registry;
  pool::RouteContext ctx{client, server, pending, registry, 3};
  std::string inject;
  auto undo = [&](const pool::PendingResponses::Entry& e) {
    if (e.prepared_id) server.erase(e.prepared_id);
    if (!e.client_name.empty()) client.erase(e.client_name);
  };
  size_t at = 0;
  while (at < size) {
    // A byte below 8 is a server reply; anything else starts a client message.
    if (data[at] < 8) {
      const char reply = "123EZ123"[data[at]];
      if (reply == 'E') {
        pending.skip_to_sync(undo);
      } else if (reply == 'Z') {
        pending.complete_sync(undo);
      } else if (pending.front_for(reply)) {
        pending.pop();
      }
      ++at;
      continue;
    }
    protocol::Frame f = protocol::next_frame(data + at, size - at, 1 << 20);
    if (f.status != protocol::Frame::Status::kComplete) break;
    std::string_view message(reinterpret_cast<const char*>(data + at),
                             std::min(f.size(), size - at));
    protocol::StatementRef ref = protocol::statement_ref(message, f.size());
    if (ref.status == protocol::StatementRef::Status::kNamed &&
        (message[0] != 'P' || message.size() == f.size())) {
      inject.clear();
      (void)pool::route_named_message(message, ref, ctx, inject);
    } else if (ref.status == protocol::StatementRef::Status::kUnnamed) {
      pool::note_unnamed_message(f.type, pending);
    }
    at += std::min(f.size(), size - at);
  }
  return 0;
}
