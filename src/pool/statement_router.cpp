#include "pool/statement_router.h"

namespace pooler::pool {

using Kind = PendingResponses::Kind;

void PendingResponses::push(Kind kind, bool swallow, uint64_t prepared_id,
                            std::string_view client_name) {
  Entry& e = entries_.emplace_back();
  e.kind = kind;
  e.swallow = swallow;
  e.prepared_id = prepared_id;
  e.client_name.assign(client_name);
}

const PendingResponses::Entry* PendingResponses::front_for(char type) const {
  if (empty()) return nullptr;
  const Entry& e = entries_[head_];
  const Kind wanted = type == '1' ? Kind::kParse : Kind::kClose;
  return e.kind == wanted ? &e : nullptr;
}

void PendingResponses::pop() {
  if (++head_ == entries_.size()) clear();
}

namespace {
// Makes sure the server has `s` before the message that uses it. The Close before the
// Parse keeps this right when the server has it without our knowing (after a takeover, a
// restart or a reset query).
void prepare_on_server(const PreparedStatement& s, RouteContext& ctx, std::string& inject,
                       bool parse_too) {
  if (auto evicted = ctx.server.insert(s.id, ctx.server_capacity)) {
    protocol::append_close_statement(inject, server_statement_name(*evicted));
    ctx.pending.push(Kind::kClose, true);
  }
  protocol::append_close_statement(inject, s.server_name);
  ctx.pending.push(Kind::kClose, true);
  if (parse_too) {
    protocol::append_parse(inject, s.server_name, s.definition);
    ctx.pending.push(Kind::kParse, true, s.id);
  }
}
}  // namespace

Route route_named_message(std::string_view message, const protocol::StatementRef& ref,
                          RouteContext& ctx, std::string& inject) {
  Route route;
  switch (message[0]) {
    case 'P': {
      if (const StatementRef* existing = ctx.client.find(ref.name)) {
        // A second statement of one name: PostgreSQL refuses it (42P05), and so will the
        // server, for the statement it already has under that name.
        route.rename = *existing;
        if (!ctx.server.touch(route.rename->id))
          prepare_on_server(*route.rename, ctx, inject, true);
        ctx.pending.push(Kind::kParse);
        return route;
      }
      StatementRef s = ctx.registry.intern(protocol::parse_definition(message, ref));
      ctx.client.add(ref.name, s);
      if (ctx.server.touch(s->id)) {
        // The server has it: the client still wants its ParseComplete, in its place.
        protocol::append_close_statement(inject, kNoopStatementName);
        ctx.pending.push(Kind::kClose, true);
        protocol::append_parse(inject, kNoopStatementName, std::string_view("\0\0", 3));
        ctx.pending.push(Kind::kParse, false, 0, ref.name);
        route.drop = true;
        return route;
      }
      prepare_on_server(*s, ctx, inject, false);
      ctx.pending.push(Kind::kParse, false, s->id, ref.name);
      route.rename = std::move(s);
      return route;
    }
    case 'B':
    case 'D': {
      const StatementRef* s = ctx.client.find(ref.name);
      if (!s) return route;  // the server reports 26000 for the client's own name
      route.rename = *s;
      if (!ctx.server.touch(route.rename->id)) prepare_on_server(*route.rename, ctx, inject, true);
      return route;
    }
    case 'C':
      // The server never had the client's name: it answers CloseComplete as PostgreSQL
      // would, and the statement stays on servers for other clients.
      ctx.client.erase(ref.name);
      ctx.pending.push(Kind::kClose);
      return route;
    default:
      return route;
  }
}

void note_unnamed_message(char type, PendingResponses& pending) {
  switch (type) {
    case 'P':
      pending.push(Kind::kParse);
      break;
    case 'C':
      pending.push(Kind::kClose);
      break;
    case 'S':
    case 'Q':
    case 'F':
      pending.push(Kind::kSync);
      break;
    default:
      break;
  }
}

}  // namespace pooler::pool
