#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace pooler::pool {

class ClientConnection;

// Pooler hands every client its own random BackendKeyData; a CancelRequest names that
// key, and this map finds the client whose linked server must receive the real cancel.
class CancelKeyMap {
 public:
  struct Key {
    uint32_t pid = 0;
    uint32_t secret = 0;
  };
  // Draws a fresh key from the CSPRNG that no live client holds, and registers it.
  Key issue(ClientConnection* client);
  // For adopting a client whose key was issued by an earlier process.
  bool insert(Key key, ClientConnection* client);
  void erase(Key key);
  ClientConnection* find(Key key) const;
  size_t size() const { return map_.size(); }

 private:
  static uint64_t pack(Key k) { return (uint64_t{k.pid} << 32) | k.secret; }
  std::unordered_map<uint64_t, ClientConnection*> map_;
};

}  // namespace pooler::pool
