#include "auth/md5.h"

#include <string>

#include "auth/crypto.h"
#include "auth/userlist.h"

namespace pooler::auth {

std::string md5_secret(std::string_view password, std::string_view user) {
  std::string data;
  data.reserve(password.size() + user.size());
  data.append(password).append(user);
  return "md5" + md5_hex(data);
}

std::string md5_response(std::string_view md5_secret, const uint8_t salt[4]) {
  std::string data(md5_secret.substr(md5_secret.size() >= 3 ? 3 : md5_secret.size()));
  data.append(reinterpret_cast<const char*>(salt), 4);
  return "md5" + md5_hex(data);
}

bool verify_md5_response(std::string_view stored_secret, std::string_view user,
                         const uint8_t salt[4], std::string_view response) {
  // Like PostgreSQL, never let an empty password authenticate.
  if (stored_secret.empty()) return false;
  std::string secret;
  switch (secret_kind(stored_secret)) {
    case SecretKind::Plain:
      secret = md5_secret(stored_secret, user);
      break;
    case SecretKind::Md5:
      secret = stored_secret;
      break;
    case SecretKind::Scram:
      return false;
  }
  return constant_time_equals(md5_response(secret, salt), response);
}

}  // namespace pooler::auth
