#pragma once
#include <memory>
#include <string>

#include "core/result.h"
#include "core/socket.h"
#include "takeover/state_slots.h"

namespace pooler::systemd {

// Owns the memfd and the shared mapping behind takeover::StateSlots (RAII: munmap, close).
class SlotsFile {
 public:
  static Result<std::unique_ptr<SlotsFile>> create(size_t slots);
  ~SlotsFile();
  SlotsFile(const SlotsFile&) = delete;
  SlotsFile& operator=(const SlotsFile&) = delete;

  int fd() const { return fd_.fd(); }
  takeover::StateSlots& slots() { return slots_; }

  // Reads the slots an earlier process left in an inherited memfd.
  static Result<std::vector<takeover::StateSlots::Entry>> read_inherited(int fd);

 private:
  SlotsFile(Socket fd, uint8_t* memory, size_t bytes, size_t slots)
      : fd_(std::move(fd)), memory_(memory), bytes_(bytes), slots_(memory, slots) {}
  Socket fd_;
  uint8_t* memory_;
  size_t bytes_;
  takeover::StateSlots slots_;
};

}  // namespace pooler::systemd
