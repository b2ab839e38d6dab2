#include "pool/cancel_key_map.h"

#include <gtest/gtest.h>

#include <set>

namespace pooler::pool {
namespace {

// Clients are only used as map values here; the map never dereferences them.
ClientConnection* fake_client(uintptr_t n) {
  return reinterpret_cast<ClientConnection*>(n * 64);
}

TEST(CancelKeyMap, IssuedKeyFindsItsClient) {
  CancelKeyMap map;
  auto key = map.issue(fake_client(1));
  EXPECT_EQ(map.find(key), fake_client(1));
}

TEST(CancelKeyMap, WrongSecretFindsNothing) {
  CancelKeyMap map;
  auto key = map.issue(fake_client(1));
  CancelKeyMap::Key forged = key;
  forged.secret ^= 1;
  EXPECT_EQ(map.find(forged), nullptr);
}

TEST(CancelKeyMap, KeysAreUniqueAndPidsPositive) {
  CancelKeyMap map;
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (uintptr_t i = 1; i <= 1000; ++i) {
    auto key = map.issue(fake_client(i));
    EXPECT_GT(key.pid, 0u);
    EXPECT_LE(key.pid, 0x7fffffffu);
    EXPECT_TRUE(seen.emplace(key.pid, key.secret).second);
  }
  EXPECT_EQ(map.size(), 1000u);
}

TEST(CancelKeyMap, ErasedKeyNoLongerCancels) {
  CancelKeyMap map;
  auto key = map.issue(fake_client(1));
  map.erase(key);
  EXPECT_EQ(map.find(key), nullptr);
  EXPECT_EQ(map.size(), 0u);
}

TEST(CancelKeyMap, AdoptedKeyFromAnEarlierProcessIsKept) {
  CancelKeyMap map;
  EXPECT_TRUE(map.insert({1234, 5678}, fake_client(2)));
  EXPECT_FALSE(map.insert({1234, 5678}, fake_client(3)));  // a live key is never reissued
  EXPECT_EQ(map.find({1234, 5678}), fake_client(2));
}

}  // namespace
}  // namespace pooler::pool
