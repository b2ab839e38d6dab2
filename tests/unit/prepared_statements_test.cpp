// The pure parts of prepared-statement tracking: names in extended-query messages, the
// statement registry, a server's statement set, and routing with its pending replies.
#include "pool/prepared_statements.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "pool/statement_router.h"
#include "protocol/byte_order.h"
#include "protocol/extended_query.h"

namespace pooler {
namespace {

using protocol::StatementRef;
using Status = StatementRef::Status;
using Kind = pool::PendingResponses::Kind;

std::string message(char type, const std::string& body) {
  std::string out(1, type);
  protocol::append_be32(out, static_cast<uint32_t>(4 + body.size()));
  return out + body;
}

const std::string z(1, '\0');
const std::string no_params("\0\0", 2);

TEST(StatementRefTest, FindsTheNameInEachMessageType) {
  std::string parse = message('P', "s1" + z + "SELECT 1" + z + no_params);
  StatementRef ref = protocol::statement_ref(parse, parse.size());
  ASSERT_EQ(Status::kNamed, ref.status);
  EXPECT_EQ("s1", ref.name);
  EXPECT_EQ(5u, ref.name_offset);
  EXPECT_EQ("SELECT 1" + z + no_params, protocol::parse_definition(parse, ref));

  std::string bind = message('B', "portal" + z + "s2" + z + no_params + no_params + no_params);
  ref = protocol::statement_ref(bind, bind.size());
  ASSERT_EQ(Status::kNamed, ref.status);
  EXPECT_EQ("s2", ref.name);

  std::string describe = message('D', "Ss3" + z);
  EXPECT_EQ("s3", protocol::statement_ref(describe, describe.size()).name);
  std::string close = message('C', "Ss4" + z);
  EXPECT_EQ("s4", protocol::statement_ref(close, close.size()).name);
}

TEST(StatementRefTest, UnnamedPortalsAndOtherMessagesAreNotTracked) {
  std::string unnamed = message('P', z + "SELECT 1" + z + no_params);
  EXPECT_EQ(Status::kUnnamed, protocol::statement_ref(unnamed, unnamed.size()).status);
  std::string portal = message('D', "Pp" + z);
  EXPECT_EQ(Status::kUnnamed, protocol::statement_ref(portal, portal.size()).status);
  std::string sync = message('S', "");
  EXPECT_EQ(Status::kUnnamed, protocol::statement_ref(sync, sync.size()).status);
}

TEST(StatementRefTest, PartialAndMalformedNames) {
  std::string bind = message('B', "portal" + z + "statement" + z + no_params);
  // Only part of the name buffered: wait for more.
  EXPECT_EQ(Status::kIncomplete, protocol::statement_ref(bind.substr(0, 14), bind.size()).status);
  // A name without its NUL inside the message: malformed.
  std::string bad = message('B', "portal" + z + "statement");
  EXPECT_EQ(Status::kInvalid, protocol::statement_ref(bad, bad.size()).status);
  std::string empty_close = message('C', "");
  EXPECT_EQ(Status::kInvalid, protocol::statement_ref(empty_close, empty_close.size()).status);
}

TEST(StatementRegistryTest, SameTextSameStatementWhileSomeoneHoldsIt) {
  pool::StatementRegistry registry;
  pool::StatementRef a = registry.intern("SELECT 1");
  pool::StatementRef b = registry.intern("SELECT 1");
  pool::StatementRef c = registry.intern("SELECT 2");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a->id, c->id);
  EXPECT_EQ(pool::server_statement_name(a->id), a->server_name);
  EXPECT_EQ(23u, a->server_name.size());
  // The name is derived from the text: a fresh registry (a new process) agrees.
  pool::StatementRegistry other;
  EXPECT_EQ(a->server_name, other.intern("SELECT 1")->server_name);
}

TEST(StatementValuesTest, StatementsTravelAsHexAndComeBackWhole) {
  pool::StatementRegistry registry;
  pool::ClientStatements sent;
  // A definition is binary: query text, NUL, parameter count and type OIDs.
  const std::string definition = "SELECT $1" + z + std::string("\x00\x01\x00\x00\x00\x17", 6);
  sent.add("P_0", registry.intern(definition));
  sent.add("with space", registry.intern("SELECT 2" + z + no_params));
  std::map<std::string, std::string> values{{"application_name", "app"}};
  EXPECT_FALSE(pool::has_statement_values(values));
  pool::statements_to_values(sent, values);
  EXPECT_TRUE(pool::has_statement_values(values));
  EXPECT_EQ("app", values["application_name"]);

  pool::StatementRegistry successor;  // the new process
  pool::ClientStatements got;
  ASSERT_TRUE(pool::statements_from_values(values, successor, got));
  ASSERT_EQ(2u, got.size());
  ASSERT_NE(nullptr, got.find("P_0"));
  EXPECT_EQ(definition, (*got.find("P_0"))->definition);
  EXPECT_EQ((*sent.find("P_0"))->server_name, (*got.find("P_0"))->server_name);
  ASSERT_NE(nullptr, got.find("with space"));
}

TEST(StatementValuesTest, AMalformedValueIsReportedAndTheRestTaken) {
  std::map<std::string, std::string> values{{"stmt:good", "53454c4543542031"},
                                            {"stmt:odd", "abc"},
                                            {"stmt:nothex", "zz"},
                                            {"stmt:", "00"}};
  pool::StatementRegistry registry;
  pool::ClientStatements got;
  EXPECT_FALSE(pool::statements_from_values(values, registry, got));
  ASSERT_EQ(1u, got.size());
  ASSERT_NE(nullptr, got.find("good"));
  EXPECT_EQ("SELECT 1", (*got.find("good"))->definition);
}

TEST(ServerStatementsTest, EvictsTheLeastRecentlyUsed) {
  pool::ServerStatements server;
  EXPECT_FALSE(server.insert(1, 2));
  EXPECT_FALSE(server.insert(2, 2));
  EXPECT_TRUE(server.touch(1));
  auto evicted = server.insert(3, 2);
  ASSERT_TRUE(evicted);
  EXPECT_EQ(2u, *evicted);
  EXPECT_FALSE(server.touch(2));
  EXPECT_TRUE(server.touch(1));
  EXPECT_TRUE(server.touch(3));
}

class RouterTest : public ::testing::Test {
 protected:
  pool::ClientStatements client;
  pool::ServerStatements server;
  pool::PendingResponses pending;
  pool::StatementRegistry registry;
  pool::RouteContext ctx{client, server, pending, registry, 200};
  std::string inject;

  pool::Route route(const std::string& msg) {
    inject.clear();
    return pool::route_named_message(msg, protocol::statement_ref(msg, msg.size()), ctx, inject);
  }
};

TEST_F(RouterTest, FirstParseRenamesAndClosesFirst) {
  pool::Route r = route(message('P', "s" + z + "SELECT 1" + z + no_params));
  ASSERT_TRUE(r.rename);
  EXPECT_FALSE(r.drop);
  EXPECT_EQ(message('C', "S" + r.rename->server_name + z), inject);
  ASSERT_NE(nullptr, client.find("s"));
  EXPECT_TRUE(server.touch(r.rename->id));
  // Replies: CloseComplete (ours, swallowed), ParseComplete (the client's).
  const auto* close = pending.front_for('3');
  ASSERT_NE(nullptr, close);
  EXPECT_TRUE(close->swallow);
  pending.pop();
  const auto* parse = pending.front_for('1');
  ASSERT_NE(nullptr, parse);
  EXPECT_FALSE(parse->swallow);
  EXPECT_EQ("s", parse->client_name);
}

TEST_F(RouterTest, ParseOfAStatementTheServerHasBecomesAFreeParse) {
  pool::StatementRef s = registry.intern("SELECT 1" + z + no_params);
  server.insert(s->id, 200);
  pool::Route r = route(message('P', "s" + z + "SELECT 1" + z + no_params));
  EXPECT_TRUE(r.drop);
  std::string expected = message('C', "S" + std::string(pool::kNoopStatementName) + z) +
                         message('P', std::string(pool::kNoopStatementName) + z + z + no_params);
  EXPECT_EQ(expected, inject);
  EXPECT_EQ(2u, pending.size());
}

TEST_F(RouterTest, BindPreparesOnAServerThatLacksTheStatement) {
  route(message('P', "s" + z + "SELECT 1" + z + no_params));
  pending.clear();
  server.clear();  // another server
  pool::Route r = route(message('B', z + "s" + z + no_params + no_params + no_params));
  ASSERT_TRUE(r.rename);
  EXPECT_EQ(message('C', "S" + r.rename->server_name + z) +
                message('P', r.rename->server_name + z + "SELECT 1" + z + no_params),
            inject);
  // Both replies are pooler's own.
  EXPECT_TRUE(pending.front_for('3')->swallow);
  pending.pop();
  EXPECT_TRUE(pending.front_for('1')->swallow);
  // Once there, a second Bind only renames.
  pool::Route again = route(message('B', z + "s" + z + no_params + no_params + no_params));
  EXPECT_TRUE(again.rename);
  EXPECT_TRUE(inject.empty());
}

TEST_F(RouterTest, UnknownNamesPassUnchangedForTheServerToRefuse) {
  pool::Route r = route(message('B', z + "nope" + z + no_params + no_params + no_params));
  EXPECT_FALSE(r.rename);
  EXPECT_FALSE(r.drop);
  EXPECT_TRUE(inject.empty());
}

TEST_F(RouterTest, AnErrorUndoesWhatTheSkippedMessagesWouldHavePrepared) {
  pool::Route r = route(message('P', "s" + z + "SELECT 1" + z + no_params));
  pool::note_unnamed_message('S', pending);
  int undone = 0;
  auto undo = [&](const pool::PendingResponses::Entry& e) {
    if (e.prepared_id) server.erase(e.prepared_id);
    if (!e.client_name.empty()) client.erase(e.client_name);
    ++undone;
  };
  pending.pop();               // our CloseComplete arrived
  pending.skip_to_sync(undo);  // then an ErrorResponse for the Parse
  EXPECT_EQ(1, undone);
  EXPECT_EQ(nullptr, client.find("s"));
  EXPECT_FALSE(server.touch(r.rename->id));
  pending.complete_sync(undo);  // ReadyForQuery
  EXPECT_TRUE(pending.empty());
}

TEST_F(RouterTest, CloseForgetsTheClientsNameOnly) {
  pool::Route r = route(message('P', "s" + z + "SELECT 1" + z + no_params));
  const uint64_t id = r.rename->id;
  pool::Route c = route(message('C', "Ss" + z));
  EXPECT_FALSE(c.rename);
  EXPECT_TRUE(inject.empty());
  EXPECT_EQ(nullptr, client.find("s"));
  EXPECT_TRUE(server.touch(id));  // other clients may still use it on this server
}

TEST(PendingResponsesTest, RepliesOutOfStepAreRefused) {
  pool::PendingResponses pending;
  EXPECT_EQ(nullptr, pending.front_for('1'));
  pool::note_unnamed_message('C', pending);
  EXPECT_EQ(nullptr, pending.front_for('1'));
  EXPECT_NE(nullptr, pending.front_for('3'));
}

}  // namespace
}  // namespace pooler
