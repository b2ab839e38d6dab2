#include "takeover/slot_recovery.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "takeover/restart_state.h"

namespace pooler::takeover {
namespace {

ConnectionRecord record(ConnectionRecord::Task task, int fd, int link = 0) {
  ConnectionRecord r;
  r.task = task;
  r.fd = fd;
  r.link = link;
  r.user = "alice";
  r.database = "app";
  r.addr = "127.0.0.1";
  r.port = task == ConnectionRecord::Task::kServer ? 5432 : 40000 + fd;
  return r;
}

StateSlots::Entry slot(const std::string& key, const ConnectionRecord& r, bool busy,
                       std::map<std::string, std::string> params = {}) {
  return {encode_connection_block(key, r, params), busy};
}

std::pair<std::string, Socket> held(const std::string& key) {
  return {key, Socket(open("/dev/null", O_RDONLY | O_CLOEXEC))};
}

constexpr auto kClient = ConnectionRecord::Task::kClient;
constexpr auto kServer = ConnectionRecord::Task::kServer;

TEST(SlotRecovery, IdleConnectionsAreAdoptedAndBusyOnesDropped) {
  std::vector<StateSlots::Entry> entries = {
      slot("7", record(kClient, 20), false, {{"application_name", "a"}}),
      slot("8", record(kClient, 21), true),
      slot("9", record(kServer, 22), false),
  };
  std::vector<std::pair<std::string, Socket>> sockets;
  sockets.push_back(held("7"));
  sockets.push_back(held("8"));
  sockets.push_back(held("9"));
  auto plan = recover_from_slots(entries, std::move(sockets), SlotKeys::kOldFds);
  ASSERT_EQ(plan.records.size(), 2u);
  ASSERT_EQ(plan.sockets.size(), 2u);
  EXPECT_TRUE(plan.sockets[0].valid());
  EXPECT_EQ(plan.records[0].fd, 20);  // the writer's numbers: links refer to them
  EXPECT_EQ(plan.records[1].task, kServer);
  ASSERT_EQ(plan.extra.size(), 2u);
  EXPECT_EQ(plan.extra[0].fd, 20);
  EXPECT_EQ(plan.extra[0].values.at("application_name"), "a");
  EXPECT_EQ(plan.extra[0].values.count("fdname"), 0u);
  ASSERT_EQ(plan.dropped.size(), 1u);
  EXPECT_EQ(plan.dropped[0].key, "8");
  EXPECT_TRUE(plan.dropped[0].socket.valid());  // the caller closes it
  EXPECT_EQ(plan.busy, 1u);
}

TEST(SlotRecovery, ASocketWithoutASlotIsDroppedAndASlotWithoutASocketIgnored) {
  std::vector<StateSlots::Entry> entries = {slot("7", record(kClient, 20), false),
                                            slot("99", record(kClient, 30), false),
                                            {"not a block", false}};
  std::vector<std::pair<std::string, Socket>> sockets;
  sockets.push_back(held("7"));
  sockets.push_back(held("8"));  // the writer closed it: its slot was released
  auto plan = recover_from_slots(entries, std::move(sockets), SlotKeys::kOldFds);
  ASSERT_EQ(plan.records.size(), 1u);
  EXPECT_EQ(plan.records[0].fd, 20);
  ASSERT_EQ(plan.dropped.size(), 1u);
  EXPECT_EQ(plan.dropped[0].key, "8");
  EXPECT_EQ(plan.dropped[0].store_name, "");
  EXPECT_EQ(plan.missing, 1u);
  EXPECT_EQ(plan.undecodable, 1u);
  EXPECT_EQ(plan.slots_read, 3u);
}

TEST(SlotRecovery, ASessionPairIsAdoptedWholeOrNotAtAll) {
  // Pair 20 <-> 22 idle at a boundary; pair 21 <-> 23 with its server mid-query.
  std::vector<StateSlots::Entry> entries = {
      slot("1", record(kClient, 20, 22), false), slot("2", record(kServer, 22, 20), false),
      slot("3", record(kClient, 21, 23), false), slot("4", record(kServer, 23, 21), true)};
  std::vector<std::pair<std::string, Socket>> sockets;
  for (const char* key : {"1", "2", "3", "4"}) sockets.push_back(held(key));
  auto plan = recover_from_slots(entries, std::move(sockets), SlotKeys::kOldFds);
  ASSERT_EQ(plan.records.size(), 2u);
  EXPECT_EQ(plan.records[0].fd, 20);
  EXPECT_EQ(plan.records[1].fd, 22);
  EXPECT_EQ(plan.busy, 1u);
  EXPECT_EQ(plan.unlinked, 1u);  // client 21: its session lives on the busy server
  EXPECT_EQ(plan.dropped.size(), 2u);
}

TEST(SlotRecovery, AServerWhoseSessionClientWentIsDroppedToo) {
  std::vector<StateSlots::Entry> entries = {slot("2", record(kServer, 22, 20), false)};
  std::vector<std::pair<std::string, Socket>> sockets;
  sockets.push_back(held("2"));
  auto plan = recover_from_slots(entries, std::move(sockets), SlotKeys::kOldFds);
  EXPECT_TRUE(plan.records.empty());
  EXPECT_EQ(plan.unlinked, 1u);
}

TEST(SlotRecovery, ALinkTheOtherEndDoesNotReturnIsNoSession) {
  // Server 22 names client 20, but client 20 is linked to nobody (or to another server).
  std::vector<StateSlots::Entry> entries = {
      slot("1", record(kClient, 20, 0), false), slot("2", record(kServer, 22, 20), false),
      slot("3", record(kClient, 21, 23), false), slot("4", record(kServer, 23, 25), false)};
  std::vector<std::pair<std::string, Socket>> sockets;
  for (const char* key : {"1", "2", "3", "4"}) sockets.push_back(held(key));
  auto plan = recover_from_slots(entries, std::move(sockets), SlotKeys::kOldFds);
  ASSERT_EQ(plan.records.size(), 1u);
  EXPECT_EQ(plan.records[0].fd, 20);  // unlinked: a client of its own
  EXPECT_EQ(plan.unlinked, 3u);
}

TEST(SlotRecovery, StoreNamesTravelAsFdnameForBothKindsOfKeys) {
  // After a crash the key is the fd store name itself.
  {
    std::vector<StateSlots::Entry> entries = {slot("client-3", record(kClient, 20), false),
                                              slot("client-4", record(kClient, 21), true)};
    std::vector<std::pair<std::string, Socket>> sockets;
    sockets.push_back(held("client-3"));
    sockets.push_back(held("client-4"));
    auto plan = recover_from_slots(entries, std::move(sockets), SlotKeys::kStoreNames);
    ASSERT_EQ(plan.extra.size(), 1u);
    EXPECT_EQ(plan.extra[0].values.at("fdname"), "client-3");
    ASSERT_EQ(plan.dropped.size(), 1u);
    EXPECT_EQ(plan.dropped[0].store_name, "client-4");
  }
  // From a takeover peer the key is our fd; its store name rides among the parameters.
  {
    std::vector<StateSlots::Entry> entries = {
        slot("7", record(kClient, 20), false, {{kStoreNameParam, "client-9"}}),
        slot("8", record(kClient, 21), true, {{kStoreNameParam, "client-10"}})};
    std::vector<std::pair<std::string, Socket>> sockets;
    sockets.push_back(held("7"));
    sockets.push_back(held("8"));
    auto plan = recover_from_slots(entries, std::move(sockets), SlotKeys::kOldFds);
    ASSERT_EQ(plan.extra.size(), 1u);
    EXPECT_EQ(plan.extra[0].values.at("fdname"), "client-9");
    EXPECT_EQ(plan.extra[0].values.count(kStoreNameParam), 0u);
    ASSERT_EQ(plan.dropped.size(), 1u);
    EXPECT_EQ(plan.dropped[0].store_name, "client-10");
  }
}

}  // namespace
}  // namespace pooler::takeover
