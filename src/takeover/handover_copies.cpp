#include "takeover/handover_copies.h"

#include <utility>
#include <vector>

namespace pooler::takeover {

Result<std::unique_ptr<HandoverCopies>> HandoverCopies::create(size_t slots, int peer_pid) {
  auto region = systemd::SlotsFile::create(slots);
  if (!region) return region.error();
  return std::unique_ptr<HandoverCopies>(new HandoverCopies(std::move(region.value()), peer_pid));
}

SlotRecovery HandoverCopies::recover(std::string* error) {
  std::vector<std::pair<std::string, Socket>> sockets;
  for (auto& [fd, socket] : kept_) sockets.emplace_back(std::to_string(fd), std::move(socket));
  kept_.clear();
  auto entries = region_->read_back();
  if (!entries) {
    *error = entries.error().message;
    SlotRecovery none;
    for (auto& [key, socket] : sockets) none.dropped.push_back({key, std::move(socket), {}});
    none.missing = none.dropped.size();
    return none;
  }
  return recover_from_slots(entries.value(), std::move(sockets), SlotKeys::kOldFds);
}

}  // namespace pooler::takeover
