#include "takeover/slot_recovery.h"

#include <map>

#include "takeover/restart_state.h"

namespace pooler::takeover {

namespace {
bool is_server(const ConnectionRecord& r) {
  return r.task == ConnectionRecord::Task::kServer;
}
}  // namespace

SlotRecovery recover_from_slots(const std::vector<StateSlots::Entry>& entries,
                                std::vector<std::pair<std::string, Socket>> sockets,
                                SlotKeys keys) {
  SlotRecovery out;
  out.slots_read = entries.size();
  std::map<std::string, std::pair<ConnectionBlock, bool>> by_key;
  for (const auto& e : entries) {
    auto block = decode_connection_block(e.payload);
    if (!block) {
      ++out.undecodable;
      continue;
    }
    std::string key = block->fdname;  // before the move: `a[k] = v` evaluates v first
    by_key[key] = {std::move(block.value()), e.busy};
  }
  auto store_name_of = [&](const ConnectionBlock& block) -> std::string {
    if (keys == SlotKeys::kStoreNames) return block.fdname;
    auto it = block.params.find(kStoreNameParam);
    return it == block.params.end() ? std::string() : it->second;
  };

  // First pass: what is in a known place on its own.
  struct Candidate {
    std::string key;
    Socket socket;
    const ConnectionBlock* block;
  };
  std::vector<Candidate> candidates;
  for (auto& [key, socket] : sockets) {
    auto it = by_key.find(key);
    if (it == by_key.end() || it->second.second) {
      const bool missing = it == by_key.end();
      (missing ? out.missing : out.busy)++;
      std::string store_name = missing ? (keys == SlotKeys::kStoreNames ? key : std::string())
                                       : store_name_of(it->second.first);
      out.dropped.push_back({key, std::move(socket), std::move(store_name)});
      continue;
    }
    candidates.push_back({key, std::move(socket), &it->second.first});
  }

  // Second pass, until nothing changes: a linked pair is adopted whole or not at all. Links
  // are the dead writer's fd numbers, which are unique among its records.
  std::vector<bool> keep(candidates.size(), true);
  for (bool changed = true; changed;) {
    changed = false;
    std::map<int, int> client_links, server_links;  // fd -> the partner it names
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!keep[i]) continue;
      const ConnectionRecord& r = candidates[i].block->record;
      (is_server(r) ? server_links : client_links)[r.fd] = r.link;
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!keep[i]) continue;
      const ConnectionRecord& r = candidates[i].block->record;
      if (r.link == 0) continue;
      // Both ends must name each other: a stale link is no session to restore.
      const auto& partners = is_server(r) ? client_links : server_links;
      auto partner = partners.find(r.link);
      if (partner == partners.end() || partner->second != r.fd) {
        keep[i] = false;
        changed = true;
      }
    }
  }

  for (size_t i = 0; i < candidates.size(); ++i) {
    Candidate& c = candidates[i];
    if (!keep[i]) {
      ++out.unlinked;
      out.dropped.push_back({c.key, std::move(c.socket), store_name_of(*c.block)});
      continue;
    }
    const ConnectionBlock& block = *c.block;
    ExtraState extra;
    extra.kind = is_server(block.record) ? ExtraState::Kind::kServer : ExtraState::Kind::kClient;
    extra.fd = block.record.fd;
    extra.values = block.params;
    extra.values.erase(kStoreNameParam);
    const std::string store_name = store_name_of(block);
    if (!store_name.empty()) extra.values["fdname"] = store_name;
    out.extra.push_back(std::move(extra));
    out.records.push_back(block.record);
    out.sockets.push_back(std::move(c.socket));
  }
  return out;
}

}  // namespace pooler::takeover
