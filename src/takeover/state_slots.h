#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pooler::takeover {

// Crash-safe per-connection state beside the fd store: a shared memory region (an mmap'd
// memfd named "slots") with one fixed-size slot per stored connection. Writing a slot is a
// few stores, no system call, so it can be kept exact at every transaction boundary; the
// pages survive a crash because systemd holds the memfd. A seqlock per slot makes a slot
// torn by a crash mid-write detectable: it is then not trusted.
class StateSlots {
 public:
  static constexpr size_t kSlotSize = 512;
  static constexpr size_t kPayloadMax = kSlotSize - 16;
  static constexpr char kMagic[12] = {'p', 'o', 'o', 'l', 'e', 'r', '-', 's', 'l', 'o', 't', '1'};

  // `memory` must hold (slots + 1) * kSlotSize bytes; slot 0 is the header.
  StateSlots(uint8_t* memory, size_t slots);
  void format();  // a fresh, empty region
  size_t capacity() const { return slots_; }

  // Returns a slot index (1-based) or 0 when full.
  uint32_t allocate();
  void release(uint32_t slot);
  // Payload too large for a slot: false, and the slot is marked unusable (empty).
  bool write(uint32_t slot, std::string_view payload, bool busy);
  void set_busy(uint32_t slot, bool busy);

  struct Entry {
    std::string payload;
    bool busy = false;
  };
  // Every consistent, non-empty slot of a region written by an earlier process.
  static std::optional<std::vector<Entry>> read(const uint8_t* memory, size_t size,
                                                std::string* error);

 private:
  struct Slot;
  Slot* slot(uint32_t index) const;
  uint8_t* memory_;
  size_t slots_;
  std::vector<uint32_t> free_;
};

}  // namespace pooler::takeover
