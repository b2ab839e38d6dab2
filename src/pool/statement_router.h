#pragma once
// Routing a client's extended-query messages while its prepared statements are tracked
// (transaction and statement pooling). Pure: decides what the server gets and what it will
// answer; the connections move the bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pool/prepared_statements.h"
#include "protocol/extended_query.h"

namespace pooler::pool {

// What a linked server still owes for the Parse, Close and Sync-like messages it was sent,
// in order. Its ParseComplete and CloseComplete replies are matched against it: some answer
// messages pooler added (swallowed), and after an error the server skips everything up to
// the next Sync, so what those messages would have prepared does not exist.
class PendingResponses {
 public:
  enum class Kind : uint8_t { kParse, kClose, kSync };
  struct Entry {
    Kind kind = Kind::kSync;
    bool swallow = false;      // pooler added the message: the client gets no reply
    uint64_t prepared_id = 0;  // skipped or failed: the server does not have this statement
    std::string client_name;   // skipped or failed: the client does not have this name
  };

  void push(Kind kind, bool swallow = false, uint64_t prepared_id = 0,
            std::string_view client_name = {});
  bool empty() const { return head_ == entries_.size(); }
  size_t size() const { return entries_.size() - head_; }
  // The entry a ParseComplete ('1') or CloseComplete ('3') answers; nullptr when it is
  // not what the server owes next (the server is out of step with us).
  const Entry* front_for(char type) const;
  void pop();
  // ErrorResponse: the failed message and the rest up to the next Sync are not done.
  template <typename Undo>
  void skip_to_sync(Undo&& undo) {
    while (!empty() && entries_[head_].kind != Kind::kSync) {
      undo(entries_[head_]);
      pop();
    }
  }
  // ReadyForQuery: everything through the first Sync is settled.
  template <typename Undo>
  void complete_sync(Undo&& undo) {
    skip_to_sync(undo);
    if (!empty()) pop();
  }
  void clear() {
    entries_.clear();
    head_ = 0;
  }

 private:
  std::vector<Entry> entries_;  // a queue that keeps its capacity: no allocation per message
  size_t head_ = 0;
};

struct RouteContext {
  ClientStatements& client;
  ServerStatements& server;
  PendingResponses& pending;
  StatementRegistry& registry;
  size_t server_capacity;  // max_prepared_statements
};

struct Route {
  bool drop = false;    // `inject` replaces the message
  StatementRef rename;  // the message's statement name becomes rename->server_name
};

// A message naming a statement (`ref` is kNamed; a Parse is complete in `message`).
// Appends what must reach the server before it to `inject`.
Route route_named_message(std::string_view message, const protocol::StatementRef& ref,
                          RouteContext& ctx, std::string& inject);
// Any other message: records the replies it is owed.
void note_unnamed_message(char type, PendingResponses& pending);

// The statement a skipped Parse is swapped for: ParseComplete at no cost.
inline constexpr std::string_view kNoopStatementName = "pooler_noop";

}  // namespace pooler::pool
