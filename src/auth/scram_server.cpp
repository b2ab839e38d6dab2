#include "auth/scram_server.h"

#include <utility>

#include "auth/scram_message.h"

namespace pooler::auth {

ScramServer::ScramServer(ScramSecret secret, std::string server_nonce)
    : secret_(std::move(secret)), server_nonce_(std::move(server_nonce)) {}

Error ScramServer::fail(std::string message) {
  state_ = State::Failed;
  return make_error("SCRAM: " + std::move(message));
}

Result<std::string> ScramServer::handle_client_first(std::string_view msg) {
  if (state_ != State::Start) return fail("unexpected client-first-message");
  if (msg.find('\0') != std::string_view::npos) return fail("malformed message: NUL byte");

  // gs2-header: cbind-flag "," [authzid] ","
  if (msg.empty()) return fail("malformed client-first-message: empty");
  if (msg[0] == 'p') {
    return fail("client requires channel binding, but SCRAM-SHA-256-PLUS is not offered");
  }
  if (msg[0] != 'n' && msg[0] != 'y') {
    return fail("malformed client-first-message: unexpected channel-binding flag \"" +
                scram::sanitize(msg.substr(0, 1)) + "\"");
  }
  if (msg.size() < 2 || msg[1] != ',') {
    return fail("malformed client-first-message: comma expected after channel-binding flag");
  }
  if (msg.size() > 2 && msg[2] == 'a') {
    return fail("client uses an authorization identity, which is not supported");
  }
  if (msg.size() < 3 || msg[2] != ',') {
    return fail("malformed client-first-message: comma expected after the gs2 header");
  }
  cbind_flag_ = msg[0];
  std::string_view bare = msg.substr(3);
  if (bare.starts_with("m=")) return fail("client requires an unsupported SCRAM extension");

  auto attrs = scram::split_attributes(bare);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].name != 'n' || (*attrs)[1].name != 'r') {
    return fail("malformed client-first-message: expected n=<user>,r=<nonce> in \"" +
                scram::sanitize(bare) + "\"");
  }
  std::string_view nonce = (*attrs)[1].value;
  if (!scram::is_printable_nonce(nonce)) {
    return fail("malformed client-first-message: empty or non-printable nonce");
  }
  // Any further attributes are optional extensions, which RFC 5802 says to ignore.

  if (server_nonce_.empty()) server_nonce_ = scram::random_nonce();
  if (server_nonce_.empty()) return fail("could not generate a random nonce");

  client_nonce_ = nonce;
  client_first_bare_ = bare;
  server_first_ = "r=" + client_nonce_ + server_nonce_ + ",s=" + base64_encode(secret_.salt) +
                  ",i=" + std::to_string(secret_.iterations);
  state_ = State::FirstSent;
  return server_first_;
}

Result<std::string> ScramServer::handle_client_final(std::string_view msg) {
  if (state_ != State::FirstSent) return fail("unexpected client-final-message");
  if (msg.find('\0') != std::string_view::npos) return fail("malformed message: NUL byte");

  auto attrs = scram::split_attributes(msg);
  if (!attrs || attrs->size() < 3 || (*attrs)[0].name != 'c' || (*attrs)[1].name != 'r' ||
      attrs->back().name != 'p') {
    return fail("malformed client-final-message: expected c=...,r=...,p=... in \"" +
                scram::sanitize(msg) + "\"");
  }
  for (size_t i = 2; i + 1 < attrs->size(); ++i) {
    if ((*attrs)[i].name == 'p') return fail("malformed client-final-message: proof not last");
  }

  // Without channel binding, c= is the base64 of the gs2 header the client sent first.
  std::string_view expected_cbind = cbind_flag_ == 'y' ? "eSws" : "biws";
  if ((*attrs)[0].value != expected_cbind) {
    return fail("unexpected channel-binding attribute in client-final-message");
  }
  if ((*attrs)[1].value != client_nonce_ + server_nonce_) {
    return fail("nonce in client-final-message does not match");
  }
  std::string_view proof_b64 = attrs->back().value;
  auto proof = base64_decode(proof_b64);
  if (!proof || proof->size() != Key{}.size()) {
    return fail("malformed proof in client-final-message");
  }

  std::string_view without_proof = msg.substr(0, msg.size() - proof_b64.size() - 3);
  std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  Key signature = hmac_sha256(as_view(secret_.stored_key), auth_message);
  Key client_key;
  for (size_t i = 0; i < client_key.size(); ++i) {
    client_key[i] = uint8_t((*proof)[i]) ^ signature[i];
  }
  if (!constant_time_equals(as_view(sha256(as_view(client_key))), as_view(secret_.stored_key))) {
    return fail("password authentication failed: client proof does not match");
  }

  client_key_ = client_key;
  state_ = State::Done;
  return "v=" + base64_encode(as_view(hmac_sha256(as_view(secret_.server_key), auth_message)));
}

}  // namespace pooler::auth
