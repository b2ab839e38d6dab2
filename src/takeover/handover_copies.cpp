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
  std::map<int, std::string> store_names;  // by our fd, which every socket keeps below
  for (auto& [fd, copy] : kept_) {
    if (!copy.store_name.empty()) store_names.emplace(fd, std::move(copy.store_name));
    sockets.emplace_back(std::to_string(fd), std::move(copy.socket));
  }
  kept_.clear();
  SlotRecovery out;
  auto entries = region_->read_back();
  if (entries) {
    out = recover_from_slots(entries.value(), std::move(sockets), SlotKeys::kOldFds);
  } else {
    *error = entries.error().message;
    for (auto& [key, socket] : sockets) out.dropped.push_back({key, std::move(socket), {}});
    out.missing = out.dropped.size();
  }
  // The name we stored it under is what systemd holds, whatever the peer's slot said (or
  // did not say: no slot, a full region, a torn write).
  for (auto& d : out.dropped) {
    if (auto it = store_names.find(d.socket.fd()); it != store_names.end()) {
      d.store_name = it->second;
    }
  }
  for (size_t i = 0; i < out.records.size(); ++i) {
    // By our socket's fd: records carry the peer's own fd numbers.
    auto it = store_names.find(out.sockets[i].fd());
    if (it != store_names.end()) out.extra[i].values["fdname"] = it->second;
  }
  return out;
}

}  // namespace pooler::takeover
