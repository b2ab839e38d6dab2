#include "takeover/store_restore.h"

#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include "systemd/slots_file.h"
#include "takeover/restart_state.h"
#include "takeover/slot_recovery.h"

namespace pooler::takeover {

namespace {
std::string read_all(int fd) {
  std::string text;
  char buf[65536];
  lseek(fd, 0, SEEK_SET);
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

void drop(const std::string& name, Socket& socket, systemd::FdStore& store) {
  store.remove(name);
  socket.shutdown_and_close();  // systemd's copy is gone; the peer sees the close
}
}  // namespace

namespace {
void drop_all(systemd::InheritedFds& inherited, systemd::FdStore& store, StoreRestore& out) {
  for (auto& [name, socket] : inherited.connections) drop(name, socket, store);
  out.dropped += inherited.connections.size();
  inherited.connections.clear();
}

// Crash path: a slot marked idle was at a transaction boundary when the process died, so
// both protocol ends are in a known place; busy or torn slots are not.
StoreRestore restore_from_slots(systemd::InheritedFds& inherited, systemd::FdStore& store,
                                Logger& log) {
  StoreRestore out;
  auto entries = systemd::SlotsFile::read_inherited(inherited.slots.fd());
  if (!entries) {
    POOLER_LOG(log, LogLevel::kWarning, "fd store: %s; closing %zu stored connections",
               entries.error().message.c_str(), inherited.connections.size());
    drop_all(inherited, store, out);
    return out;
  }
  SlotRecovery plan =
      recover_from_slots(entries.value(), std::move(inherited.connections), SlotKeys::kStoreNames);
  inherited.connections.clear();
  for (auto& d : plan.dropped) drop(d.key, d.socket, store);
  out.dropped = plan.dropped.size();
  out.records = std::move(plan.records);
  out.sockets = std::move(plan.sockets);
  out.extra = std::move(plan.extra);
  POOLER_LOG(log, LogLevel::kWarning,
             "fd store: recovering after a crash: %zu idle connections adopted, %zu dropped "
             "(%zu mid-transaction, %zu without a record, %zu whose session partner went; %zu "
             "slots read, %zu undecodable)",
             out.records.size(), out.dropped, plan.busy, plan.missing, plan.unlinked,
             plan.slots_read, plan.undecodable);
  return out;
}
}  // namespace

StoreRestore plan_store_restore(systemd::InheritedFds& inherited, systemd::FdStore& store,
                                Logger& log) {
  StoreRestore out;
  if (inherited.recovering.valid()) {
    // The last start died while restoring: do not try the same state again.
    POOLER_LOG(log, LogLevel::kError,
               "fd store: the previous start crashed while restoring; ignoring the stored state "
               "and closing %zu stored connections",
               inherited.connections.size());
    store.remove("recovering");
    store.remove("state");
    store.remove("slots");
    inherited.recovering.reset();
    drop_all(inherited, store, out);
    return out;
  }
  if (!inherited.state.valid() && inherited.slots.valid()) {
    store.remove("slots");
    out = restore_from_slots(inherited, store, log);
    inherited.slots.reset();
    return out;
  }
  inherited.slots.reset();
  if (!inherited.state.valid() && inherited.connections.empty()) return out;
  std::string why_not;
  RestartState state;
  if (!inherited.state.valid()) {
    why_not = "no state memfd (the previous instance did not exit cleanly)";
  } else {
    auto decoded = decode_restart_state(read_all(inherited.state.fd()));
    if (!decoded) {
      why_not = decoded.error().message;
    } else {
      state = std::move(decoded.value());
    }
    store.remove("state");  // used once: a crash later must not replay it
    inherited.state.reset();
  }
  if (!why_not.empty()) {
    POOLER_LOG(log, LogLevel::kWarning, "fd store: %s; closing %zu stored connections",
               why_not.c_str(), inherited.connections.size());
    for (auto& [name, socket] : inherited.connections) drop(name, socket, store);
    out.dropped = inherited.connections.size();
    return out;
  }
  std::map<std::string, ConnectionRecord*> by_name;
  for (auto& [name, record] : state.connections) by_name[name] = &record;
  for (auto& [name, socket] : inherited.connections) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      POOLER_LOG(log, LogLevel::kWarning, "fd store: %s has no record in the state; closing it",
                 name.c_str());
      drop(name, socket, store);
      ++out.dropped;
      continue;
    }
    out.records.push_back(*it->second);
    out.sockets.push_back(std::move(socket));
    by_name.erase(it);
  }
  for (const auto& [name, record] : by_name) {
    POOLER_LOG(log, LogLevel::kWarning, "fd store: record %s has no socket (peer gone?)",
               name.c_str());
  }
  // Stored names travel as "fdname" so the adopted connections remove them when they close.
  for (auto& e : state.extra) {
    if (e.kind == ExtraState::Kind::kDatabase) continue;
    for (auto& [name, record] : state.connections) {
      bool same_kind =
          (record.task == ConnectionRecord::Task::kServer) == (e.kind == ExtraState::Kind::kServer);
      if (record.fd == e.fd && same_kind) e.values["fdname"] = name;
    }
  }
  out.extra = std::move(state.extra);
  POOLER_LOG(log, LogLevel::kLog, "fd store: restoring %zu connections (%zu dropped)",
             out.records.size(), out.dropped);
  return out;
}

}  // namespace pooler::takeover
