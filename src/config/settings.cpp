#include "config/settings.h"

#include "config/value_parse.h"

namespace pooler::config {

std::string_view to_string(PoolMode mode) {
  switch (mode) {
    case PoolMode::Session:
      return "session";
    case PoolMode::Transaction:
      return "transaction";
    case PoolMode::Statement:
      return "statement";
  }
  return "session";
}

std::string_view to_string(AuthType type) {
  switch (type) {
    case AuthType::Trust:
      return "trust";
    case AuthType::Plain:
      return "plain";
    case AuthType::Md5:
      return "md5";
    case AuthType::ScramSha256:
      return "scram-sha-256";
    case AuthType::Any:
      return "any";
    case AuthType::Cert:
      return "cert";
    case AuthType::Hba:
      return "hba";
    case AuthType::Peer:
      return "peer";
  }
  return "md5";
}

std::optional<PoolMode> parse_pool_mode(std::string_view text) {
  for (PoolMode m : {PoolMode::Session, PoolMode::Transaction, PoolMode::Statement}) {
    if (iequals(text, to_string(m))) return m;
  }
  return std::nullopt;
}

std::optional<AuthType> parse_auth_type(std::string_view text) {
  // "password" is PostgreSQL's name for cleartext auth; PgBouncer calls it "plain".
  if (iequals(text, "password")) return AuthType::Plain;
  for (AuthType t : {AuthType::Trust, AuthType::Plain, AuthType::Md5, AuthType::ScramSha256,
                     AuthType::Any, AuthType::Cert, AuthType::Hba}) {
    if (iequals(text, to_string(t))) return t;
  }
  return std::nullopt;
}

}  // namespace pooler::config
