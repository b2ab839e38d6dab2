#pragma once
// Server side of SCRAM-SHA-256 (RFC 5802, RFC 7677): the pooler verifying a client.
#include <optional>
#include <string>
#include <string_view>

#include "auth/crypto.h"
#include "auth/scram_secret.h"
#include "core/result.h"

namespace pooler::auth {

// One exchange: handle_client_first, then handle_client_final. Follows PostgreSQL's
// auth-scram.c: the SCRAM user name is ignored (the startup packet's counts), an authzid or
// mandatory extension is refused, and so is channel binding ('p' flag), because the pooler
// only offers SCRAM-SHA-256, not -PLUS. Any error ends the exchange; later calls fail.
class ScramServer {
 public:
  // server_nonce fixes the server's nonce part (for test vectors); empty means 18 random
  // bytes in base64, as PostgreSQL does.
  explicit ScramServer(ScramSecret secret, std::string server_nonce = {});

  // Returns the server-first-message ("r=...,s=...,i=...").
  Result<std::string> handle_client_first(std::string_view client_first_message);
  // Returns the server-final-message ("v=...") when the proof is right; an error for a wrong
  // password, a malformed message, a nonce mismatch or a changed channel-binding flag.
  Result<std::string> handle_client_final(std::string_view client_final_message);

  bool authenticated() const { return state_ == State::Done; }
  // After success: ClientKey recovered from the proof (ClientProof XOR ClientSignature),
  // which lets the pooler log in to PostgreSQL as this client (ScramClient::with_keys).
  const std::optional<Key>& client_key() const { return client_key_; }
  const Key& server_key() const { return secret_.server_key; }

 private:
  enum class State { Start, FirstSent, Done, Failed };
  Error fail(std::string message);

  ScramSecret secret_;
  std::string server_nonce_;
  State state_ = State::Start;
  char cbind_flag_ = 'n';
  std::string client_nonce_;
  std::string client_first_bare_;
  std::string server_first_;
  std::optional<Key> client_key_;
};

}  // namespace pooler::auth
