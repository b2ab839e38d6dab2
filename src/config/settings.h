#pragma once
// Typed global settings of the [pooler] (alias [pgbouncer]) section. Every field is named
// as its ini key; defaults are PgBouncer 1.18's so an existing pgbouncer.ini means the same.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pooler::config {

enum class PoolMode { Session, Transaction, Statement };
// Hba: per connection from auth_hba_file. Peer exists only as an HBA method (Unix sockets).
enum class AuthType {
  Trust,
  Plain /* "plain" and "password" */,
  Md5,
  ScramSha256,
  Any,
  Cert,
  Hba,
  Peer
};

std::string_view to_string(PoolMode mode);
std::string_view to_string(AuthType type);
// Case-insensitive, as PgBouncer's lookup tables are; nullopt for anything else.
std::optional<PoolMode> parse_pool_mode(std::string_view text);
std::optional<AuthType> parse_auth_type(std::string_view text);

using Seconds = std::chrono::duration<double>;  // PgBouncer accepts fractional seconds

struct Settings {
  // Listening.
  std::vector<std::string> listen_addr;  // empty = no TCP listener; "*" = all addresses
  int listen_port = 6432;
  std::string unix_socket_dir = "/tmp";  // empty = no Unix socket
  int unix_socket_mode = 0777;
  std::string unix_socket_group;
  int listen_backlog = 128;
  bool so_reuseport = false;
  int tcp_defer_accept = 45;  // PgBouncer's Linux default

  // Authentication.
  AuthType auth_type = AuthType::Md5;
  std::string auth_file;
  std::string auth_hba_file;
  std::string auth_user;
  std::string auth_query = "SELECT usename, passwd FROM pg_shadow WHERE usename=$1";
  std::vector<std::string> admin_users, stats_users;

  // Pooling.
  PoolMode pool_mode = PoolMode::Session;
  int default_pool_size = 20;
  int min_pool_size = 0;
  int reserve_pool_size = 0;
  Seconds reserve_pool_timeout{5};
  int max_client_conn = 100;
  int max_db_connections = 0;
  int max_user_connections = 0;
  bool server_round_robin = false;
  int max_prepared_statements = 200;
  std::vector<std::string> track_extra_parameters = {"IntervalStyle"};
  std::vector<std::string> ignore_startup_parameters;
  bool application_name_add_host = false;
  bool disable_pqexec = false;

  // Server connection management.
  std::string server_reset_query = "DISCARD ALL";
  bool server_reset_query_always = false;
  std::string server_check_query = "select 1";
  Seconds server_check_delay{30};
  bool server_fast_close = false;
  Seconds server_lifetime{3600};
  Seconds server_idle_timeout{600};
  Seconds server_connect_timeout{15};
  Seconds server_login_retry{15};

  // Client-side timeouts.
  Seconds query_timeout{0};
  Seconds query_wait_timeout{120};
  Seconds client_idle_timeout{0};
  Seconds client_login_timeout{60};
  Seconds idle_transaction_timeout{0};
  Seconds autodb_idle_timeout{3600};
  Seconds suspend_timeout{10};

  // Process and logging.
  std::string pidfile, logfile;
  std::string user;  // Unix user to switch to
  std::string job_name = "pgbouncer";
  bool syslog = false;
  std::string syslog_ident = "pgbouncer";
  std::string syslog_facility = "daemon";
  bool log_connections = true;
  bool log_disconnections = true;
  bool log_pooler_errors = true;
  bool log_stats = true;
  int stats_period = 60;
  int verbose = 0;

  // TCP and buffers.
  bool tcp_keepalive = true;
  int tcp_keepcnt = 0, tcp_keepidle = 0, tcp_keepintvl = 0;
  int tcp_user_timeout = 0;
  int tcp_socket_buffer = 0;
  int pkt_buf = 4096;
  int max_packet_size = 2147483647;
  int sbuf_loopcnt = 5;

  // DNS.
  Seconds dns_max_ttl{15};
  Seconds dns_nxdomain_ttl{15};
  Seconds dns_zone_check_period{0};
  std::string resolv_conf;

  // TLS: parsed and kept; a non-default value draws a "not supported yet" warning.
  std::string client_tls_sslmode = "disable";
  std::string client_tls_key_file, client_tls_cert_file, client_tls_ca_file;
  std::string client_tls_protocols = "secure";
  std::string client_tls_ciphers = "fast";
  std::string client_tls_ecdhcurve = "auto";
  std::string client_tls_dheparams = "auto";
  std::string server_tls_sslmode = "disable";
  std::string server_tls_key_file, server_tls_cert_file, server_tls_ca_file;
  std::string server_tls_protocols = "secure";
  std::string server_tls_ciphers = "fast";

  // pooler-only.
  Seconds takeover_timeout{30};
};

}  // namespace pooler::config
