#pragma once
// SCRAM-SHA-256 verifiers as PostgreSQL stores them, and the key derivation behind them.
#include <cstddef>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/crypto.h"

namespace pooler::auth {

// The server side of a SCRAM-SHA-256 credential (RFC 5802 section 3): enough to verify a
// client, not enough to impersonate one.
struct ScramSecret {
  int iterations = 0;
  std::string salt;  // raw bytes
  Key stored_key{};
  Key server_key{};
};

// Everything derived from a password for one salt and iteration count. The client key is
// what a client needs to log in; stored_key and server_key form the verifier.
struct ScramKeys {
  Key client_key{};
  Key stored_key{};
  Key server_key{};
};

// Hi(saslprep(password), salt, i) and the three keys from it (PBKDF2: slow by design).
ScramKeys derive_scram_keys(std::string_view password, std::string_view salt, int iterations);

// "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>";
// nullopt for anything else (including a non-positive iteration count or short keys).
std::optional<ScramSecret> parse_scram_secret(std::string_view secret);

// Builds the verifier PostgreSQL would store for this password; applies saslprep.
ScramSecret make_scram_secret(std::string_view password, std::string_view salt, int iterations);

std::string format_scram_secret(const ScramSecret& secret);

// Remembers derived keys so repeated logins with the same plaintext password do not redo
// PBKDF2. Keyed by (SHA-256 of the password, salt, iterations) so it holds no second copy
// of the password. Evicts the least recently used entry beyond max_entries. Not
// thread-safe: owned by whoever uses it.
class ScramKeyCache {
 public:
  explicit ScramKeyCache(size_t max_entries = 256)
      : max_entries_(max_entries > 0 ? max_entries : 1) {}

  // Cached or freshly derived keys; the reference is valid until the next call.
  const ScramKeys& keys(std::string_view password, std::string_view salt, int iterations);
  // The verifier for the same inputs, via keys().
  ScramSecret secret(std::string_view password, std::string_view salt, int iterations);

  size_t size() const { return index_.size(); }
  void clear() {
    index_.clear();
    lru_.clear();
  }

 private:
  struct Entry {
    std::string id;
    ScramKeys keys;
  };
  size_t max_entries_;
  std::list<Entry> lru_;  // most recently used first
  std::map<std::string, std::list<Entry>::iterator, std::less<>> index_;
};

}  // namespace pooler::auth
