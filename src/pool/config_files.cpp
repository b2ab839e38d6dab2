#include "pool/config_files.h"

namespace pooler::pool {

Result<ConfigFiles> ConfigFiles::load(const config::Settings& settings) {
  ConfigFiles files;
  if (!settings.auth_file.empty()) {
    auto users = auth::load_userlist(settings.auth_file);
    if (!users) return users.error();
    files.userlist = std::move(users.value());
  }
  if (!settings.auth_hba_file.empty()) {
    auto hba = auth::load_hba(settings.auth_hba_file);
    if (!hba) return hba.error();
    files.hba = std::move(hba.value());
  } else if (settings.auth_type == config::AuthType::Hba) {
    return make_error("auth_type = hba needs auth_hba_file");
  }
  auto for_clients = tls::Context::for_clients(settings);
  if (!for_clients) return for_clients.error();
  auto for_servers = tls::Context::for_servers(settings);
  if (!for_servers) return for_servers.error();
  files.client_tls = std::move(for_clients.value());
  files.server_tls = std::move(for_servers.value());
  return files;
}

}  // namespace pooler::pool
