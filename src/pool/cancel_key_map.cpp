#include "pool/cancel_key_map.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace pooler::pool {

CancelKeyMap::Key CancelKeyMap::issue(ClientConnection* client) {
  for (;;) {
    Key k;
    uint32_t raw[2];
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw), sizeof raw) != 1) {
      throw std::runtime_error("RAND_bytes failed: no entropy for cancel keys");
    }
    // PostgreSQL pids are positive; keep ours positive too for clients that print them.
    k.pid = raw[0] & 0x7fffffffu;
    k.secret = raw[1];
    if (k.pid != 0 && insert(k, client)) return k;
  }
}

bool CancelKeyMap::insert(Key key, ClientConnection* client) {
  return map_.emplace(pack(key), client).second;
}

void CancelKeyMap::erase(Key key) {
  map_.erase(pack(key));
}

ClientConnection* CancelKeyMap::find(Key key) const {
  auto it = map_.find(pack(key));
  return it == map_.end() ? nullptr : it->second;
}

}  // namespace pooler::pool
