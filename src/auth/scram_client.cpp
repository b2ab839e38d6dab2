#include "auth/scram_client.h"

#include <charconv>
#include <utility>

#include "auth/scram_message.h"

namespace pooler::auth {

ScramClient ScramClient::with_password(std::string password, std::string client_nonce) {
  ScramClient c;
  c.password_ = std::move(password);
  c.client_nonce_ = std::move(client_nonce);
  return c;
}

ScramClient ScramClient::with_keys(Key client_key, Key server_key, std::string client_nonce) {
  ScramClient c;
  c.client_key_ = client_key;
  c.server_key_ = server_key;
  c.client_nonce_ = std::move(client_nonce);
  return c;
}

Error ScramClient::fail(std::string message) {
  state_ = State::Failed;
  return make_error("SCRAM: " + std::move(message));
}

std::string ScramClient::client_first_message() {
  if (client_nonce_.empty()) client_nonce_ = scram::random_nonce();
  std::string user;
  for (char c : username_) {
    if (c == ',') {
      user += "=2C";
    } else if (c == '=') {
      user += "=3D";
    } else {
      user += c;
    }
  }
  client_first_bare_ = "n=" + user + ",r=" + client_nonce_;
  // Without a nonce (no randomness) the exchange cannot be safe: fail at the next step.
  state_ = client_nonce_.empty() ? State::Failed : State::FirstSent;
  return "n,," + client_first_bare_;
}

Result<std::string> ScramClient::handle_server_first(std::string_view msg, ScramKeyCache* cache) {
  if (state_ != State::FirstSent) return fail("unexpected server-first-message");
  if (msg.find('\0') != std::string_view::npos) return fail("malformed message: NUL byte");
  if (msg.starts_with("m=")) return fail("server requires an unsupported SCRAM extension");

  auto attrs = scram::split_attributes(msg);
  if (!attrs || attrs->size() < 3 || (*attrs)[0].name != 'r' || (*attrs)[1].name != 's' ||
      (*attrs)[2].name != 'i') {
    return fail("malformed server-first-message: expected r=...,s=...,i=... in \"" +
                scram::sanitize(msg) + "\"");
  }
  std::string_view nonce = (*attrs)[0].value;
  if (nonce.size() <= client_nonce_.size() || !nonce.starts_with(client_nonce_) ||
      !scram::is_printable_nonce(nonce)) {
    return fail("nonce in server-first-message does not extend the client's nonce");
  }
  auto salt = base64_decode((*attrs)[1].value);
  if (!salt || salt->empty()) return fail("malformed salt in server-first-message");
  std::string_view iter = (*attrs)[2].value;
  int iterations = 0;
  auto [end, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), iterations);
  if (ec != std::errc() || end != iter.data() + iter.size() || iterations <= 0) {
    return fail("malformed iteration count in server-first-message: \"" + scram::sanitize(iter) +
                "\"");
  }

  if (password_) {
    if (iterations > kMaxIterations) {
      return fail("server asks for " + std::to_string(iterations) +
                  " iterations, more than the limit of " + std::to_string(kMaxIterations));
    }
    const ScramKeys keys = cache ? cache->keys(*password_, *salt, iterations)
                                 : derive_scram_keys(*password_, *salt, iterations);
    client_key_ = keys.client_key;
    server_key_ = keys.server_key;
  }

  std::string without_proof = "c=biws,r=" + std::string(nonce);
  std::string auth_message = client_first_bare_ + "," + std::string(msg) + "," + without_proof;
  Key stored_key = sha256(as_view(client_key_));
  Key signature = hmac_sha256(as_view(stored_key), auth_message);
  Key proof;
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = client_key_[i] ^ signature[i];
  expected_server_signature_ = hmac_sha256(as_view(server_key_), auth_message);
  state_ = State::FinalSent;
  return without_proof + ",p=" + base64_encode(as_view(proof));
}

Result<void> ScramClient::verify_server_final(std::string_view msg) {
  if (state_ != State::FinalSent) return fail("unexpected server-final-message");
  auto attrs = scram::split_attributes(msg);
  if (attrs && !attrs->empty() && (*attrs)[0].name == 'e') {
    return fail("server reported an error: " + scram::sanitize((*attrs)[0].value));
  }
  if (!attrs || attrs->empty() || (*attrs)[0].name != 'v') {
    return fail("malformed server-final-message: \"" + scram::sanitize(msg) + "\"");
  }
  auto signature = base64_decode((*attrs)[0].value);
  if (!signature || !constant_time_equals(*signature, as_view(expected_server_signature_))) {
    return fail("server signature does not match: the server does not know the password");
  }
  state_ = State::Done;
  return {};
}

}  // namespace pooler::auth
