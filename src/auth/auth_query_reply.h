#pragma once
// auth_query's answer as it arrives from the server. Pure: it is fed the backend messages
// that follow our Parse/Bind/Execute/Sync, up to ReadyForQuery, and says what they mean.
#include <optional>
#include <string>
#include <string_view>

namespace pooler::auth {

class AuthQueryReply {
 public:
  // One backend message (type and body). Returns true once ReadyForQuery ended the reply.
  // ParameterStatus and NoticeResponse are not the reply's business; the caller handles
  // them before.
  bool add(char type, std::string_view body);

  bool done() const { return done_; }
  // The query failed or answered in a shape pooler cannot use; the text is for the log.
  const std::string& error() const { return error_; }
  // A row came back: the user exists in that database.
  bool found() const { return found_; }
  // Its password column; nullopt for NULL (a role without a password).
  const std::optional<std::string>& secret() const { return secret_; }

 private:
  void fail(std::string why);

  bool done_ = false;
  bool found_ = false;
  std::optional<std::string> secret_;
  std::string error_;
};

}  // namespace pooler::auth
