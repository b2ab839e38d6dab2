#include "config/setting_table.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <span>
#include <variant>

#include "config/value_parse.h"

namespace pooler::config {

namespace {

struct IntField {
  int Settings::*field;
  int min = 0;
  int max = INT_MAX;
  int base = 10;
};
struct BoolField {
  bool Settings::*field;
};
struct StringField {
  std::string Settings::*field;
  std::span<const std::string_view> allowed;  // empty: any text
};
struct ListField {
  std::vector<std::string> Settings::*field;
};
struct SecondsField {
  Seconds Settings::*field;
};
struct PoolModeField {
  PoolMode Settings::*field;
};
struct AuthTypeField {
  AuthType Settings::*field;
};
using Field = std::variant<IntField, BoolField, StringField, ListField, SecondsField, PoolModeField,
                           AuthTypeField>;

enum class Reload { Yes, No };
enum class Support { Yes, NotYet };

struct Spec {
  std::string_view name;
  Field field;
  std::string_view default_text;
  Reload reload = Reload::Yes;
  Support support = Support::Yes;  // NotYet: a non-default value draws a warning
};

constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

// The facilities PgBouncer's syslog_facility names (core/syslog_sink.cpp maps them).
constexpr std::array<std::string_view, 12> kSyslogFacilities = {
    "auth",   "authpriv", "daemon", "user",   "local0", "local1",
    "local2", "local3",   "local4", "local5", "local6", "local7"};

// Alphabetical, because SHOW CONFIG lists keys in this order.
const std::vector<Spec>& specs() {
  using S = Settings;
  static const std::vector<Spec> table = {
      {"admin_users", ListField{&S::admin_users}, ""},
      {"application_name_add_host", BoolField{&S::application_name_add_host}, "0"},
      {"auth_file", StringField{&S::auth_file, {}}, ""},
      {"auth_hba_file", StringField{&S::auth_hba_file, {}}, "", Reload::Yes},
      {"auth_query", StringField{&S::auth_query, {}},
       "SELECT usename, passwd FROM pg_shadow WHERE usename=$1", Reload::Yes},
      {"auth_type", AuthTypeField{&S::auth_type}, "md5"},
      {"auth_user", StringField{&S::auth_user, {}}, ""},
      {"autodb_idle_timeout", SecondsField{&S::autodb_idle_timeout}, "3600"},
      {"client_idle_timeout", SecondsField{&S::client_idle_timeout}, "0"},
      {"client_login_timeout", SecondsField{&S::client_login_timeout}, "60"},
      {"client_tls_ca_file", StringField{&S::client_tls_ca_file, {}}, "", Reload::Yes},
      {"client_tls_cert_file", StringField{&S::client_tls_cert_file, {}}, "", Reload::Yes},
      {"client_tls_ciphers", StringField{&S::client_tls_ciphers, {}}, "fast", Reload::Yes},
      {"client_tls_dheparams", StringField{&S::client_tls_dheparams, {}}, "auto", Reload::Yes},
      {"client_tls_ecdhcurve", StringField{&S::client_tls_ecdhcurve, {}}, "auto", Reload::Yes},
      {"client_tls_key_file", StringField{&S::client_tls_key_file, {}}, "", Reload::Yes},
      {"client_tls_protocols", StringField{&S::client_tls_protocols, {}}, "secure", Reload::Yes},
      {"client_tls_sslmode", StringField{&S::client_tls_sslmode, kSslModes}, "disable",
       Reload::Yes},
      {"default_pool_size", IntField{&S::default_pool_size}, "20"},
      {"disable_pqexec", BoolField{&S::disable_pqexec}, "0", Reload::No},
      {"dns_max_ttl", SecondsField{&S::dns_max_ttl}, "15"},
      {"dns_nxdomain_ttl", SecondsField{&S::dns_nxdomain_ttl}, "15"},
      {"dns_zone_check_period", SecondsField{&S::dns_zone_check_period}, "0", Reload::Yes,
       Support::NotYet},
      {"idle_transaction_timeout", SecondsField{&S::idle_transaction_timeout}, "0"},
      {"ignore_startup_parameters", ListField{&S::ignore_startup_parameters}, ""},
      // PgBouncer's Windows service name: no effect on Linux, there or here.
      {"job_name", StringField{&S::job_name, {}}, "pgbouncer", Reload::No},
      {"listen_addr", ListField{&S::listen_addr}, "", Reload::No},
      {"listen_backlog", IntField{&S::listen_backlog, 1}, "128", Reload::No},
      {"listen_port", IntField{&S::listen_port, 1, 65535}, "6432", Reload::No},
      {"log_connections", BoolField{&S::log_connections}, "1"},
      {"log_disconnections", BoolField{&S::log_disconnections}, "1"},
      {"log_pooler_errors", BoolField{&S::log_pooler_errors}, "1"},
      {"log_stats", BoolField{&S::log_stats}, "1"},
      {"logfile", StringField{&S::logfile, {}}, ""},
      {"max_client_conn", IntField{&S::max_client_conn}, "100"},
      {"max_db_connections", IntField{&S::max_db_connections}, "0"},
      {"max_packet_size", IntField{&S::max_packet_size, 1}, "2147483647"},
      {"max_prepared_statements", IntField{&S::max_prepared_statements}, "200"},
      {"max_user_connections", IntField{&S::max_user_connections}, "0"},
      {"min_pool_size", IntField{&S::min_pool_size}, "0"},
      {"pidfile", StringField{&S::pidfile, {}}, "", Reload::No},
      {"pkt_buf", IntField{&S::pkt_buf, 1}, "4096", Reload::No},
      {"pool_mode", PoolModeField{&S::pool_mode}, "session"},
      {"query_timeout", SecondsField{&S::query_timeout}, "0"},
      {"query_wait_timeout", SecondsField{&S::query_wait_timeout}, "120"},
      {"reserve_pool_size", IntField{&S::reserve_pool_size}, "0"},
      {"reserve_pool_timeout", SecondsField{&S::reserve_pool_timeout}, "5"},
      {"resolv_conf", StringField{&S::resolv_conf, {}}, "", Reload::No},
      {"sbuf_loopcnt", IntField{&S::sbuf_loopcnt}, "5", Reload::Yes, Support::NotYet},
      {"server_check_delay", SecondsField{&S::server_check_delay}, "30"},
      {"server_check_query", StringField{&S::server_check_query, {}}, "select 1"},
      {"server_connect_timeout", SecondsField{&S::server_connect_timeout}, "15"},
      {"server_fast_close", BoolField{&S::server_fast_close}, "0"},
      {"server_idle_timeout", SecondsField{&S::server_idle_timeout}, "600"},
      {"server_lifetime", SecondsField{&S::server_lifetime}, "3600"},
      {"server_login_retry", SecondsField{&S::server_login_retry}, "15"},
      {"server_reset_query", StringField{&S::server_reset_query, {}}, "DISCARD ALL"},
      {"server_reset_query_always", BoolField{&S::server_reset_query_always}, "0"},
      {"server_round_robin", BoolField{&S::server_round_robin}, "0"},
      {"server_tls_ca_file", StringField{&S::server_tls_ca_file, {}}, "", Reload::Yes},
      {"server_tls_cert_file", StringField{&S::server_tls_cert_file, {}}, "", Reload::Yes},
      {"server_tls_ciphers", StringField{&S::server_tls_ciphers, {}}, "fast", Reload::Yes},
      {"server_tls_key_file", StringField{&S::server_tls_key_file, {}}, "", Reload::Yes},
      {"server_tls_protocols", StringField{&S::server_tls_protocols, {}}, "secure", Reload::Yes},
      {"server_tls_sslmode", StringField{&S::server_tls_sslmode, kSslModes}, "disable",
       Reload::Yes},
      {"so_reuseport", BoolField{&S::so_reuseport}, "0", Reload::No},
      {"stats_period", IntField{&S::stats_period, 1}, "60"},
      {"stats_users", ListField{&S::stats_users}, ""},
      {"suspend_timeout", SecondsField{&S::suspend_timeout}, "10"},
      {"syslog", BoolField{&S::syslog}, "0", Reload::Yes},
      {"syslog_facility", StringField{&S::syslog_facility, kSyslogFacilities}, "daemon",
       Reload::Yes},
      {"syslog_ident", StringField{&S::syslog_ident, {}}, "pgbouncer", Reload::Yes},
      {"takeover_timeout", SecondsField{&S::takeover_timeout}, "30"},
      {"tcp_defer_accept", IntField{&S::tcp_defer_accept}, "45", Reload::Yes},
      {"tcp_keepalive", BoolField{&S::tcp_keepalive}, "1"},
      {"tcp_keepcnt", IntField{&S::tcp_keepcnt}, "0"},
      {"tcp_keepidle", IntField{&S::tcp_keepidle}, "0"},
      {"tcp_keepintvl", IntField{&S::tcp_keepintvl}, "0"},
      {"tcp_socket_buffer", IntField{&S::tcp_socket_buffer}, "0"},
      {"tcp_user_timeout", IntField{&S::tcp_user_timeout}, "0"},
      {"track_extra_parameters", ListField{&S::track_extra_parameters}, "IntervalStyle",
       Reload::Yes, Support::NotYet},
      {"unix_socket_dir", StringField{&S::unix_socket_dir, {}}, "/tmp", Reload::No},
      {"unix_socket_group", StringField{&S::unix_socket_group, {}}, "", Reload::No},
      {"unix_socket_mode", IntField{&S::unix_socket_mode, 0, 07777, 8}, "0777", Reload::No},
      {"user", StringField{&S::user, {}}, "", Reload::No},
      {"verbose", IntField{&S::verbose}, "0"},
  };
  return table;
}

const Spec* find_spec(std::string_view key) {
  for (const Spec& s : specs()) {
    if (iequals(s.name, key)) return &s;
  }
  return nullptr;
}

std::string one_of(std::span<const std::string_view> names) {
  std::string out = "must be one of ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

// Parses into the field; returns an error text or "".
std::string assign(Settings& s, const Field& field, std::string_view value) {
  struct Visitor {
    Settings& s;
    std::string_view value;
    std::string operator()(const IntField& f) {
      Result<int> r = parse_int(value, f.min, f.max, f.base);
      if (!r) return r.error().message;
      s.*f.field = r.value();
      return "";
    }
    std::string operator()(const BoolField& f) {
      Result<bool> r = parse_bool(value);
      if (!r) return r.error().message;
      s.*f.field = r.value();
      return "";
    }
    std::string operator()(const StringField& f) {
      if (!f.allowed.empty()) {
        auto it = std::find_if(f.allowed.begin(), f.allowed.end(),
                               [&](std::string_view a) { return iequals(a, value); });
        if (it == f.allowed.end()) return one_of(f.allowed);
        s.*f.field = std::string(*it);
        return "";
      }
      s.*f.field = std::string(value);
      return "";
    }
    std::string operator()(const ListField& f) {
      s.*f.field = parse_list(value);
      return "";
    }
    std::string operator()(const SecondsField& f) {
      Result<Seconds> r = parse_seconds(value);
      if (!r) return r.error().message;
      s.*f.field = r.value();
      return "";
    }
    std::string operator()(const PoolModeField& f) {
      std::optional<PoolMode> m = parse_pool_mode(value);
      if (!m) return "must be one of session, transaction, statement";
      s.*f.field = *m;
      return "";
    }
    std::string operator()(const AuthTypeField& f) {
      std::optional<AuthType> t = parse_auth_type(value);
      if (t) {
        s.*f.field = *t;
        return "";
      }
      if (iequals(value, "pam")) return "\"pam\" is not supported";
      return "must be one of trust, plain, password, md5, scram-sha-256, cert, hba, any";
    }
  };
  return std::visit(Visitor{s, value}, field);
}

std::string format(const Settings& s, const Field& field) {
  struct Visitor {
    const Settings& s;
    std::string operator()(const IntField& f) {
      if (f.base == 8) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(s.*f.field));
        return buf;
      }
      return std::to_string(s.*f.field);
    }
    std::string operator()(const BoolField& f) { return s.*f.field ? "1" : "0"; }
    std::string operator()(const StringField& f) { return s.*f.field; }
    std::string operator()(const ListField& f) { return join(s.*f.field); }
    std::string operator()(const SecondsField& f) { return format_seconds(s.*f.field); }
    std::string operator()(const PoolModeField& f) { return std::string(to_string(s.*f.field)); }
    std::string operator()(const AuthTypeField& f) { return std::string(to_string(s.*f.field)); }
  };
  return std::visit(Visitor{s}, field);
}

}  // namespace

ApplyOutcome apply_setting(Settings& settings, std::string_view key, std::string_view value) {
  ApplyOutcome out;
  const Spec* spec = find_spec(key);
  if (spec == nullptr) {
    out.known = false;
    return out;
  }
  out.reloadable = spec->reload == Reload::Yes;
  out.error = assign(settings, spec->field, value);
  if (out.error.empty() && spec->support == Support::NotYet &&
      format(settings, spec->field) != spec->default_text) {
    out.warning = "not supported yet; the value is kept but has no effect";
  }
  return out;
}

std::vector<ConfigRow> show_config_rows(const Settings& settings) {
  std::vector<ConfigRow> rows;
  rows.reserve(specs().size());
  for (const Spec& spec : specs()) {
    rows.push_back(ConfigRow{std::string(spec.name), format(settings, spec.field),
                             std::string(spec.default_text), spec.reload == Reload::Yes});
  }
  return rows;
}

}  // namespace pooler::config
