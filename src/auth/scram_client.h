#pragma once
// Client side of SCRAM-SHA-256: the pooler logging in to PostgreSQL.
#include <optional>
#include <string>
#include <string_view>

#include "auth/crypto.h"
#include "auth/scram_secret.h"
#include "core/result.h"

namespace pooler::auth {

// One exchange: client_first_message, handle_server_first, verify_server_final. Never
// requests channel binding ("n,,"). Any error ends the exchange; later calls fail.
class ScramClient {
 public:
  // Knows the plaintext password: keys are derived (PBKDF2 on saslprep(password)) from the
  // salt and iteration count the server sends. client_nonce empty = 18 random bytes, base64.
  static ScramClient with_password(std::string password, std::string client_nonce = {});
  // Pass-through: keys recovered by ScramServer from a client's proof; the server's salt and
  // iteration count are then irrelevant, the keys only work if its verifier is the same.
  static ScramClient with_keys(Key client_key, Key server_key, std::string client_nonce = {});

  // The SCRAM user name sent in n= (escaped per RFC 5802). PostgreSQL ignores it and libpq
  // sends it empty, the default; it matters only for test vectors. Call before
  // client_first_message.
  void set_username(std::string username) { username_ = std::move(username); }

  // "n,,n=<user>,r=<nonce>".
  std::string client_first_message();
  // Returns the client-final-message. Iteration counts above kMaxIterations are refused so a
  // hostile server cannot stall the pooler in PBKDF2. With a cache, derived keys are reused
  // across logins with the same password, salt and iteration count.
  Result<std::string> handle_server_first(std::string_view server_first_message,
                                          ScramKeyCache* cache = nullptr);
  // Checks the server's v= signature (proof that it knows the verifier); an "e=" message is
  // reported as an error carrying the server's text.
  Result<void> verify_server_final(std::string_view server_final_message);

  static constexpr int kMaxIterations = 10'000'000;

 private:
  enum class State { Start, FirstSent, FinalSent, Done, Failed };
  ScramClient() = default;
  Error fail(std::string message);

  std::optional<std::string> password_;
  Key client_key_{};
  Key server_key_{};
  std::string username_;
  std::string client_nonce_;
  std::string client_first_bare_;
  Key expected_server_signature_{};
  State state_ = State::Start;
};

}  // namespace pooler::auth
