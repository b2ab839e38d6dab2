#include "auth/scram_secret.h"

#include <charconv>

#include "auth/saslprep.h"

namespace pooler::auth {

ScramKeys derive_scram_keys(std::string_view password, std::string_view salt, int iterations) {
  Key salted = pbkdf2_sha256(saslprep(password), salt, iterations);
  ScramKeys keys;
  keys.client_key = hmac_sha256(as_view(salted), "Client Key");
  keys.stored_key = sha256(as_view(keys.client_key));
  keys.server_key = hmac_sha256(as_view(salted), "Server Key");
  return keys;
}

namespace {

bool decode_key(std::string_view b64, Key& out) {
  auto raw = base64_decode(b64);
  if (!raw || raw->size() != out.size()) return false;
  std::copy(raw->begin(), raw->end(), out.begin());
  return true;
}

}  // namespace

std::optional<ScramSecret> parse_scram_secret(std::string_view secret) {
  constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
  if (!secret.starts_with(kPrefix)) return std::nullopt;
  secret.remove_prefix(kPrefix.size());

  size_t colon1 = secret.find(':');
  size_t dollar = secret.find('$');
  if (colon1 == std::string_view::npos || dollar == std::string_view::npos || dollar < colon1) {
    return std::nullopt;
  }
  size_t colon2 = secret.find(':', dollar);
  if (colon2 == std::string_view::npos) return std::nullopt;

  ScramSecret out;
  std::string_view iter = secret.substr(0, colon1);
  auto [end, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), out.iterations);
  if (ec != std::errc() || end != iter.data() + iter.size() || out.iterations <= 0) {
    return std::nullopt;
  }
  auto salt = base64_decode(secret.substr(colon1 + 1, dollar - colon1 - 1));
  if (!salt || salt->empty()) return std::nullopt;
  out.salt = std::move(*salt);
  if (!decode_key(secret.substr(dollar + 1, colon2 - dollar - 1), out.stored_key) ||
      !decode_key(secret.substr(colon2 + 1), out.server_key)) {
    return std::nullopt;
  }
  return out;
}

ScramSecret make_scram_secret(std::string_view password, std::string_view salt, int iterations) {
  ScramKeys keys = derive_scram_keys(password, salt, iterations);
  return ScramSecret{iterations, std::string(salt), keys.stored_key, keys.server_key};
}

std::string format_scram_secret(const ScramSecret& s) {
  return "SCRAM-SHA-256$" + std::to_string(s.iterations) + ":" + base64_encode(s.salt) + "$" +
         base64_encode(as_view(s.stored_key)) + ":" + base64_encode(as_view(s.server_key));
}

const ScramKeys& ScramKeyCache::keys(std::string_view password, std::string_view salt,
                                     int iterations) {
  std::string id(as_view(sha256(password)));
  id += std::to_string(iterations);
  id += ':';
  id += salt;
  if (auto it = index_.find(id); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->keys;
  }
  lru_.push_front(Entry{id, derive_scram_keys(password, salt, iterations)});
  index_.emplace(std::move(id), lru_.begin());
  while (lru_.size() > max_entries_) {
    index_.erase(lru_.back().id);
    lru_.pop_back();
  }
  return lru_.front().keys;
}

ScramSecret ScramKeyCache::secret(std::string_view password, std::string_view salt,
                                  int iterations) {
  const ScramKeys& k = keys(password, salt, iterations);
  return ScramSecret{iterations, std::string(salt), k.stored_key, k.server_key};
}

}  // namespace pooler::auth
