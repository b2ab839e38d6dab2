// IntrusiveList::for_each_safe: callbacks may unlink any item, not only the one visited.
#include "core/intrusive_list.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace pooler {
namespace {

struct Item {
  int id = 0;
  ListNode node;
};
using List = IntrusiveList<Item, &Item::node>;

std::vector<std::unique_ptr<Item>> fill(List& list, int n) {
  std::vector<std::unique_ptr<Item>> items;
  for (int i = 0; i < n; ++i) {
    items.push_back(std::make_unique<Item>());
    items.back()->id = i;
    list.push_back(items.back().get());
  }
  return items;
}

TEST(IntrusiveListTest, ACallbackMayUnlinkTheItemsAfterItsOwn) {
  for (int n : {3, 100}) {  // within the inline snapshot, and beyond it
    List list;
    auto items = fill(list, n);
    std::vector<int> visited;
    list.for_each_safe([&](Item* item) {
      visited.push_back(item->id);
      list.remove(item);
      // Closing one connection may close the rest, as the end of a shutdown does.
      if (item->id == 0) {
        list.for_each_safe([&](Item* other) { list.remove(other); });
      }
    });
    EXPECT_EQ(std::vector<int>{0}, visited) << n;
    EXPECT_TRUE(list.empty());
  }
}

TEST(IntrusiveListTest, EachItemLinkedAtTheStartIsVisitedOnce) {
  List list;
  auto items = fill(list, 40);
  Item late;
  late.id = 99;
  std::vector<int> visited;
  list.for_each_safe([&](Item* item) {
    visited.push_back(item->id);
    if (item->id == 5) list.push_back(&late);  // added meanwhile: not visited
  });
  ASSERT_EQ(40u, visited.size());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(i, visited[static_cast<size_t>(i)]);
  EXPECT_EQ(41u, list.size());
}

}  // namespace
}  // namespace pooler
