#include "takeover/state_slots.h"

#include <gtest/gtest.h>

#include <vector>

namespace pooler::takeover {
namespace {

struct Region {
  explicit Region(size_t n) : bytes((n + 1) * StateSlots::kSlotSize), slots(bytes.data(), n) {
    slots.format();
  }
  std::vector<std::vector<StateSlots::Entry>::value_type> read() {
    std::string error;
    auto entries = StateSlots::read(bytes.data(), bytes.size(), &error);
    EXPECT_TRUE(entries.has_value()) << error;
    return entries ? *entries : std::vector<StateSlots::Entry>{};
  }
  std::vector<uint8_t> bytes;
  StateSlots slots;
};

TEST(StateSlots, WrittenSlotsAreReadBackWithTheirBusyFlag) {
  Region r(4);
  uint32_t a = r.slots.allocate(), b = r.slots.allocate();
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  EXPECT_TRUE(r.slots.write(a, "client a", false));
  EXPECT_TRUE(r.slots.write(b, "server b", false));
  r.slots.set_busy(b, true);
  auto entries = r.read();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].payload, "client a");
  EXPECT_FALSE(entries[0].busy);
  EXPECT_EQ(entries[1].payload, "server b");
  EXPECT_TRUE(entries[1].busy);
}

TEST(StateSlots, ReleasedSlotsAreEmptyAndReused) {
  Region r(1);
  uint32_t a = r.slots.allocate();
  EXPECT_EQ(r.slots.allocate(), 0u);  // full
  r.slots.write(a, "x", false);
  r.slots.release(a);
  EXPECT_TRUE(r.read().empty());
  EXPECT_EQ(r.slots.allocate(), a);
}

TEST(StateSlots, ASlotTornByACrashIsNotTrusted) {
  Region r(2);
  uint32_t a = r.slots.allocate();
  r.slots.write(a, "half written", false);
  // Simulate a crash between the two sequence increments of a write.
  r.bytes[size_t(a) * StateSlots::kSlotSize] += 1;
  EXPECT_TRUE(r.read().empty());
}

TEST(StateSlots, OversizedPayloadIsRefusedNotTruncated) {
  Region r(1);
  uint32_t a = r.slots.allocate();
  EXPECT_FALSE(r.slots.write(a, std::string(StateSlots::kPayloadMax + 1, 'x'), false));
  EXPECT_TRUE(r.read().empty());
}

TEST(StateSlots, ForeignOrTruncatedRegionIsRejected) {
  Region r(2);
  std::string error;
  std::vector<uint8_t> garbage(StateSlots::kSlotSize * 3, 'g');
  EXPECT_FALSE(StateSlots::read(garbage.data(), garbage.size(), &error).has_value());
  EXPECT_FALSE(StateSlots::read(r.bytes.data(), StateSlots::kSlotSize * 2, &error).has_value());
  EXPECT_NE(error.find("shorter"), std::string::npos) << error;
}

}  // namespace
}  // namespace pooler::takeover
