#pragma once
// The files a configuration names, loaded together: auth_file, auth_hba_file and the two
// TLS contexts (certificates, keys, CA files). Loading is all or nothing, so a start, a
// RELOAD or a SET either gets every file or keeps what it had.
#include <memory>

#include "auth/hba.h"
#include "auth/userlist.h"
#include "config/settings.h"
#include "core/result.h"
#include "tls/context.h"

namespace pooler::pool {

struct ConfigFiles {
  auth::Userlist userlist;
  auth::HbaFile hba;  // no rules when auth_hba_file is unset
  std::shared_ptr<tls::Context> client_tls, server_tls;

  // Errors name the setting or the file (and line) at fault.
  static Result<ConfigFiles> load(const config::Settings& settings);
};

}  // namespace pooler::pool
