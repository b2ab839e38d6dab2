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
  // Maps a region another process created and sent us, and starts it empty: the new
  // process of a rolling takeover writes there what the old one reads if we die.
  static Result<std::unique_ptr<SlotsFile>> attach(Socket fd);
  ~SlotsFile();
  SlotsFile(const SlotsFile&) = delete;
  SlotsFile& operator=(const SlotsFile&) = delete;

  int fd() const { return fd_.fd(); }
  takeover::StateSlots& slots() { return slots_; }

  // Reads the slots an earlier process left in an inherited memfd.
  static Result<std::vector<takeover::StateSlots::Entry>> read_inherited(int fd);
  // Reads what a process we shared the region with left in it.
  Result<std::vector<takeover::StateSlots::Entry>> read_back() const;

 private:
  SlotsFile(Socket fd, uint8_t* memory, size_t bytes, size_t slots)
      : fd_(std::move(fd)), memory_(memory), bytes_(bytes), slots_(memory, slots) {}
  Socket fd_;
  uint8_t* memory_;
  size_t bytes_;
  takeover::StateSlots slots_;
};

}  // namespace pooler::systemd
