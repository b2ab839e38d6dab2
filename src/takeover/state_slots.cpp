#include "takeover/state_slots.h"

#include <cstring>

namespace pooler::takeover {

// Layout of one slot. seq is odd while a write is in progress.
struct StateSlots::Slot {
  std::atomic<uint32_t> seq;
  std::atomic<uint8_t> busy;
  uint8_t pad[3];
  uint32_t length;
  uint32_t reserved;
  char payload[kPayloadMax];
};
static_assert(sizeof(std::atomic<uint32_t>) == 4 && sizeof(std::atomic<uint8_t>) == 1);

namespace {
struct Header {
  char magic[12];
  uint32_t slots;
};
}  // namespace

StateSlots::StateSlots(uint8_t* memory, size_t slots) : memory_(memory), slots_(slots) {}

StateSlots::Slot* StateSlots::slot(uint32_t index) const {
  return reinterpret_cast<Slot*>(memory_ + size_t(index) * kSlotSize);
}

void StateSlots::format() {
  memset(memory_, 0, (slots_ + 1) * kSlotSize);
  Header h{};
  memcpy(h.magic, kMagic, sizeof kMagic);
  h.slots = static_cast<uint32_t>(slots_);
  memcpy(memory_, &h, sizeof h);
  free_.clear();
  for (size_t i = slots_; i >= 1; --i) free_.push_back(static_cast<uint32_t>(i));
}

uint32_t StateSlots::allocate() {
  if (free_.empty()) return 0;
  uint32_t index = free_.back();
  free_.pop_back();
  return index;
}

void StateSlots::release(uint32_t index) {
  if (index == 0 || index > slots_) return;
  Slot* s = slot(index);
  s->seq.fetch_add(1, std::memory_order_acq_rel);
  s->length = 0;
  s->seq.fetch_add(1, std::memory_order_release);
  free_.push_back(index);
}

bool StateSlots::write(uint32_t index, std::string_view payload, bool busy) {
  if (index == 0 || index > slots_) return false;
  Slot* s = slot(index);
  s->seq.fetch_add(1, std::memory_order_acq_rel);  // odd: writing
  std::atomic_thread_fence(std::memory_order_release);
  bool fits = payload.size() <= kPayloadMax;
  s->busy.store(busy ? 1 : 0, std::memory_order_relaxed);
  s->length = fits ? static_cast<uint32_t>(payload.size()) : 0;
  if (fits) memcpy(s->payload, payload.data(), payload.size());
  std::atomic_thread_fence(std::memory_order_release);
  s->seq.fetch_add(1, std::memory_order_release);  // even: stable
  return fits;
}

void StateSlots::set_busy(uint32_t index, bool busy) {
  if (index == 0 || index > slots_) return;
  slot(index)->busy.store(busy ? 1 : 0, std::memory_order_release);
}

std::optional<std::vector<StateSlots::Entry>> StateSlots::read(const uint8_t* memory, size_t size,
                                                               std::string* error) {
  if (size < kSlotSize) {
    *error = "slots memfd too small";
    return std::nullopt;
  }
  Header h{};
  memcpy(&h, memory, sizeof h);
  if (memcmp(h.magic, kMagic, sizeof kMagic) != 0) {
    *error = "slots memfd has an unknown format or version";
    return std::nullopt;
  }
  if ((size_t(h.slots) + 1) * kSlotSize > size) {
    *error = "slots memfd is shorter than its header says";
    return std::nullopt;
  }
  std::vector<Entry> out;
  for (uint32_t i = 1; i <= h.slots; ++i) {
    const auto* s = reinterpret_cast<const Slot*>(memory + size_t(i) * kSlotSize);
    uint32_t seq = s->seq.load(std::memory_order_acquire);
    if (seq & 1u) continue;  // torn by a crash mid-write: not trusted
    if (s->length == 0 || s->length > kPayloadMax) continue;
    Entry e;
    e.payload.assign(s->payload, s->length);
    e.busy = s->busy.load(std::memory_order_acquire) != 0;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace pooler::takeover
