#include <gtest/gtest.h>

#include <map>

#include "config/config.h"

namespace pooler::config {
namespace {

// In-memory file system for %include.
class ConfigParser : public ::testing::Test {
 protected:
  LoadResult parse(std::string_view text, const std::string& name = "pooler.ini") {
    return parse_config(text, name, [this](const std::string& path) -> Result<std::string> {
      auto it = files_.find(path);
      if (it == files_.end()) return Error{"No such file or directory"};
      return it->second;
    });
  }

  // Parses text that must load; returns its config.
  Config load(std::string_view text) {
    LoadResult r = parse(text);
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
    return r.ok() ? *r.config : Config{};
  }

  // Parses text that must fail with exactly one error; returns it.
  Diagnostic only_error(std::string_view text) {
    LoadResult r = parse(text);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.config.has_value());
    EXPECT_EQ(r.errors.size(), 1u);
    return r.errors.empty() ? Diagnostic{} : r.errors[0];
  }

  std::map<std::string, std::string> files_;
};

TEST_F(ConfigParser, EmptyFileGivesPgBouncerDefaults) {
  Config c = load("");
  const Settings& s = c.settings;
  EXPECT_EQ(c.path, "pooler.ini");
  EXPECT_TRUE(s.listen_addr.empty());
  EXPECT_EQ(s.listen_port, 6432);
  EXPECT_EQ(s.unix_socket_dir, "/tmp");
  EXPECT_EQ(s.unix_socket_mode, 0777);
  EXPECT_EQ(s.auth_type, AuthType::Md5);
  EXPECT_EQ(s.pool_mode, PoolMode::Session);
  EXPECT_EQ(s.default_pool_size, 20);
  EXPECT_EQ(s.min_pool_size, 0);
  EXPECT_EQ(s.reserve_pool_size, 0);
  EXPECT_EQ(s.reserve_pool_timeout, Seconds{5});
  EXPECT_EQ(s.max_client_conn, 100);
  EXPECT_EQ(s.max_db_connections, 0);
  EXPECT_EQ(s.max_user_connections, 0);
  EXPECT_EQ(s.server_reset_query, "DISCARD ALL");
  EXPECT_FALSE(s.server_reset_query_always);
  EXPECT_EQ(s.server_check_query, "select 1");
  EXPECT_EQ(s.server_check_delay, Seconds{30});
  EXPECT_EQ(s.server_lifetime, Seconds{3600});
  EXPECT_EQ(s.server_idle_timeout, Seconds{600});
  EXPECT_EQ(s.server_connect_timeout, Seconds{15});
  EXPECT_EQ(s.server_login_retry, Seconds{15});
  EXPECT_EQ(s.query_timeout, Seconds{0});
  EXPECT_EQ(s.query_wait_timeout, Seconds{120});
  EXPECT_EQ(s.client_idle_timeout, Seconds{0});
  EXPECT_EQ(s.client_login_timeout, Seconds{60});
  EXPECT_EQ(s.idle_transaction_timeout, Seconds{0});
  EXPECT_TRUE(s.ignore_startup_parameters.empty());
  EXPECT_TRUE(s.log_connections);
  EXPECT_TRUE(s.log_disconnections);
  EXPECT_TRUE(s.log_pooler_errors);
  EXPECT_EQ(s.stats_period, 60);
  EXPECT_EQ(s.verbose, 0);
  EXPECT_TRUE(s.tcp_keepalive);
  EXPECT_EQ(s.tcp_keepcnt, 0);
  EXPECT_EQ(s.pkt_buf, 4096);
  EXPECT_EQ(s.max_packet_size, 2147483647);
  EXPECT_EQ(s.listen_backlog, 128);
  EXPECT_EQ(s.sbuf_loopcnt, 5);
  EXPECT_EQ(s.takeover_timeout, Seconds{30});
  EXPECT_TRUE(c.databases.empty());
  EXPECT_TRUE(c.users.empty());
}

TEST_F(ConfigParser, EveryValueKindParses) {
  Config c = load(R"(
; comment
# another comment
[pooler]
listen_addr = 127.0.0.1, ::1
listen_port = 7432
unix_socket_dir =
unix_socket_mode = 0700
auth_type = scram-sha-256
auth_file = /etc/pooler/userlist.txt
admin_users = admin , root
stats_users = stats
pool_mode = transaction
default_pool_size = 5
reserve_pool_timeout = 0.5
server_lifetime = 120
server_reset_query_always = on
log_connections = no
log_disconnections = false
tcp_keepalive = 0
ignore_startup_parameters = extra_float_digits,options
server_reset_query = DISCARD ALL; SELECT 1
takeover_timeout = 2.25
)");
  const Settings& s = c.settings;
  EXPECT_EQ(s.listen_addr, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(s.listen_port, 7432);
  EXPECT_EQ(s.unix_socket_dir, "");
  EXPECT_EQ(s.unix_socket_mode, 0700);
  EXPECT_EQ(s.auth_type, AuthType::ScramSha256);
  EXPECT_EQ(s.auth_file, "/etc/pooler/userlist.txt");
  EXPECT_EQ(s.admin_users, (std::vector<std::string>{"admin", "root"}));
  EXPECT_EQ(s.stats_users, (std::vector<std::string>{"stats"}));
  EXPECT_EQ(s.pool_mode, PoolMode::Transaction);
  EXPECT_EQ(s.default_pool_size, 5);
  EXPECT_EQ(s.reserve_pool_timeout, Seconds{0.5});
  EXPECT_EQ(s.server_lifetime, Seconds{120});
  EXPECT_TRUE(s.server_reset_query_always);
  EXPECT_FALSE(s.log_connections);
  EXPECT_FALSE(s.log_disconnections);
  EXPECT_FALSE(s.tcp_keepalive);
  EXPECT_EQ(s.ignore_startup_parameters,
            (std::vector<std::string>{"extra_float_digits", "options"}));
  EXPECT_EQ(s.server_reset_query, "DISCARD ALL; SELECT 1");
  EXPECT_EQ(s.takeover_timeout, Seconds{2.25});
}

TEST_F(ConfigParser, ListenAddrStarMeansAll) {
  Config c = load("[pooler]\nlisten_addr = *\n");
  EXPECT_EQ(c.settings.listen_addr, (std::vector<std::string>{"*"}));
}

TEST_F(ConfigParser, SectionNamesAndKeysAreCaseInsensitive) {
  Config c = load("[POOLER]\nListen_Port = 7000\n[Databases]\napp =\n");
  EXPECT_EQ(c.settings.listen_port, 7000);
  ASSERT_EQ(c.databases.size(), 1u);
}

TEST_F(ConfigParser, PgBouncerSectionIsAnAliasOfPooler) {
  Config c = load("[pgbouncer]\npool_mode = statement\n");
  EXPECT_EQ(c.settings.pool_mode, PoolMode::Statement);
}

TEST_F(ConfigParser, PasswordAuthTypeMeansPlain) {
  EXPECT_EQ(load("[pooler]\nauth_type = password\n").settings.auth_type, AuthType::Plain);
  EXPECT_EQ(load("[pooler]\nauth_type = plain\n").settings.auth_type, AuthType::Plain);
}

TEST_F(ConfigParser, WindowsLineEndingsAreAccepted) {
  Config c = load("[pooler]\r\nlisten_port = 7001\r\n");
  EXPECT_EQ(c.settings.listen_port, 7001);
}

TEST_F(ConfigParser, DatabaseConnectionStringFillsEveryField) {
  Config c = load(
      "[databases]\n"
      "app = host=127.0.0.1 port=5433 dbname=appdb user=x password=secret auth_user=au "
      "pool_size=5 min_pool_size=1 reserve_pool=2 max_db_connections=3 pool_mode=transaction "
      "connect_query='SELECT 1' client_encoding=UTF8 datestyle=ISO timezone=UTC "
      "application_name=pooled\n");
  ASSERT_EQ(c.databases.size(), 1u);
  const DatabaseEntry& db = c.databases[0];
  EXPECT_EQ(db.name, "app");
  EXPECT_EQ(db.host, "127.0.0.1");
  EXPECT_EQ(db.port, 5433);
  EXPECT_EQ(db.dbname, "appdb");
  EXPECT_EQ(db.user, "x");
  EXPECT_EQ(db.password, "secret");
  EXPECT_EQ(db.auth_user, "au");
  EXPECT_EQ(db.pool_size, 5);
  EXPECT_EQ(db.min_pool_size, 1);
  EXPECT_EQ(db.reserve_pool, 2);
  EXPECT_EQ(db.max_db_connections, 3);
  EXPECT_EQ(db.pool_mode, PoolMode::Transaction);
  EXPECT_EQ(db.connect_query, "SELECT 1");
  EXPECT_EQ(db.client_encoding, "UTF8");
  EXPECT_EQ(db.datestyle, "ISO");
  EXPECT_EQ(db.timezone, "UTC");
  EXPECT_EQ(db.application_name, "pooled");
  EXPECT_EQ(db.where.file, "pooler.ini");
  EXPECT_EQ(db.where.line, 2);
}

TEST_F(ConfigParser, EmptyConnectionStringMeansDefaults) {
  Config c = load("[databases]\napp =\n");
  ASSERT_EQ(c.databases.size(), 1u);
  EXPECT_EQ(c.databases[0].host, "");
  EXPECT_EQ(c.databases[0].port, 5432);
  EXPECT_EQ(c.databases[0].dbname, "");
  EXPECT_FALSE(c.databases[0].pool_size.has_value());
  EXPECT_FALSE(c.databases[0].pool_mode.has_value());
}

TEST_F(ConfigParser, QuotedPasswordKeepsSpacesAndEscapedQuote) {
  Config c = load("[databases]\napp = password='a b''c' user=u\n");
  ASSERT_EQ(c.databases.size(), 1u);
  EXPECT_EQ(c.databases[0].password, "a b'c");
  EXPECT_EQ(c.databases[0].user, "u");
}

TEST_F(ConfigParser, QuotedDatabaseNameMayHoldSpaces) {
  Config c = load("[databases]\n\"my db\" = dbname=real\n");
  ASSERT_EQ(c.databases.size(), 1u);
  EXPECT_EQ(c.databases[0].name, "my db");
}

TEST_F(ConfigParser, DatabasesKeepFileOrder) {
  Config c = load("[databases]\nb =\na =\nc =\n");
  ASSERT_EQ(c.databases.size(), 3u);
  EXPECT_EQ(c.databases[0].name, "b");
  EXPECT_EQ(c.databases[1].name, "a");
  EXPECT_EQ(c.databases[2].name, "c");
}

TEST_F(ConfigParser, FindDatabasePrefersExactNameThenStarFallback) {
  Config c = load("[databases]\n* = host=fallback\napp = host=exact\n");
  ASSERT_NE(c.find_database("app"), nullptr);
  EXPECT_EQ(c.find_database("app")->host, "exact");
  ASSERT_NE(c.find_database("other"), nullptr);
  EXPECT_EQ(c.find_database("other")->host, "fallback");
}

TEST_F(ConfigParser, FindDatabaseWithoutFallbackReturnsNull) {
  Config c = load("[databases]\napp =\n");
  EXPECT_EQ(c.find_database("other"), nullptr);
}

TEST_F(ConfigParser, UsersSectionSetsOverrides) {
  Config c = load("[users]\nalice = pool_mode=transaction max_user_connections=5\nbob =\n");
  ASSERT_EQ(c.users.size(), 2u);
  const UserEntry* alice = c.find_user("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->pool_mode, PoolMode::Transaction);
  EXPECT_EQ(alice->max_user_connections, 5);
  EXPECT_FALSE(c.find_user("bob")->pool_mode.has_value());
  EXPECT_EQ(c.find_user("carol"), nullptr);
}

TEST_F(ConfigParser, DuplicateSettingLastWinsWithWarning) {
  LoadResult r = parse("[pooler]\nlisten_port = 1000\nlisten_port = 2000\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->settings.listen_port, 2000);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].where.line, 3);
  EXPECT_NE(r.warnings[0].message.find("pooler.ini:2"), std::string::npos);
}

TEST_F(ConfigParser, RedefinedDatabaseReplacesEarlierOneInPlace) {
  LoadResult r = parse("[databases]\na = port=1\nb =\na = port=2\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.config->databases.size(), 2u);
  EXPECT_EQ(r.config->databases[0].name, "a");
  EXPECT_EQ(r.config->databases[0].port, 2);
  EXPECT_EQ(r.warnings.size(), 1u);
}

TEST_F(ConfigParser, UnknownSettingIsAWarningNotAnError) {
  LoadResult r = parse("[pooler]\nno_such_thing = 1\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].to_string(), "pooler.ini:2: no_such_thing: unknown setting, ignored");
}

TEST_F(ConfigParser, UnknownSectionIsAWarningAndItsLinesAreIgnored) {
  LoadResult r = parse("[extras]\nwhatever = x\n[pooler]\nlisten_port = 7\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->settings.listen_port, 7);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].where.line, 1);
}

TEST_F(ConfigParser, TlsSettingsAreSupportedAndDrawNoWarning) {
  LoadResult r =
      parse("[pooler]\nclient_tls_sslmode = require\nserver_tls_sslmode = verify-full\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->settings.client_tls_sslmode, "require");
  EXPECT_EQ(r.config->settings.server_tls_sslmode, "verify-full");
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(ConfigParser, APgBouncerSettingWithoutEffectWarnsOnlyWhenChanged) {
  // dns_zone_check_period and track_extra_parameters do nothing in pooler, nor does
  // sbuf_loopcnt, which is at its default here; the tcp_* and syslog settings do.
  LoadResult r = parse(
      "[pooler]\n"
      "sbuf_loopcnt = 5\n"
      "dns_zone_check_period = 30\n"
      "tcp_keepidle = 7\n"
      "tcp_defer_accept = 10\n"
      "syslog = 1\n"
      "tcp_keepalive = 0\n"
      "track_extra_parameters = IntervalStyle, search_path\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].key, "dns_zone_check_period");
  EXPECT_EQ(r.warnings[0].where.line, 3);
  EXPECT_NE(r.warnings[0].message.find("has no effect"), std::string::npos);
  EXPECT_EQ(r.warnings[1].key, "track_extra_parameters");
  EXPECT_EQ(r.warnings[1].where.line, 8);
  EXPECT_TRUE(r.config->settings.syslog);
  EXPECT_EQ(r.config->settings.tcp_keepidle, 7);
  EXPECT_EQ(r.config->settings.tcp_defer_accept, 10);
}

TEST_F(ConfigParser, SyslogFacilityIsOneOfPgBouncersNames) {
  LoadResult ok = parse("[pooler]\nsyslog = 1\nsyslog_facility = LOCAL3\nsyslog_ident = pgb\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.config->settings.syslog_facility, "local3");
  EXPECT_EQ(ok.config->settings.syslog_ident, "pgb");
  EXPECT_TRUE(ok.warnings.empty());

  LoadResult bad = parse("[pooler]\nsyslog = 1\nsyslog_facility = kern\n");
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].where.line, 3);
  EXPECT_EQ(bad.errors[0].key, "syslog_facility");
  EXPECT_NE(bad.errors[0].message.find("local7"), std::string::npos) << bad.errors[0].message;
}

TEST_F(ConfigParser, NoListenerAtAllIsWarned) {
  LoadResult r = parse("[pooler]\nunix_socket_dir =\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].key, "listen_addr");
}

// --- error paths: each names file:line and key ---

TEST_F(ConfigParser, BadNumberNamesFileLineAndKey) {
  Diagnostic d = only_error("[pooler]\n\ndefault_pool_size = abc\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:3: default_pool_size: \"abc\" is not a number");
}

TEST_F(ConfigParser, NegativeCountIsRejected) {
  Diagnostic d = only_error("[pooler]\nmax_client_conn = -5\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:2: max_client_conn: \"-5\" must not be negative");
}

TEST_F(ConfigParser, PortOutOfRangeIsRejected) {
  Diagnostic d = only_error("[pooler]\nlisten_port = 70000\n");
  EXPECT_EQ(d.where.line, 2);
  EXPECT_EQ(d.key, "listen_port");
  EXPECT_NE(d.message.find("out of range"), std::string::npos);
}

TEST_F(ConfigParser, BadDurationIsRejected) {
  Diagnostic d = only_error("[pooler]\nquery_timeout = 5s\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:2: query_timeout: \"5s\" is not a number of seconds");
}

TEST_F(ConfigParser, BadPoolModeListsTheChoices) {
  Diagnostic d = only_error("[pooler]\npool_mode = sometimes\n");
  EXPECT_EQ(d.to_string(),
            "pooler.ini:2: pool_mode: must be one of session, transaction, statement");
}

TEST_F(ConfigParser, UnsupportedAuthTypeIsAnError) {
  Diagnostic d = only_error("[pooler]\nauth_type = pam\n");
  EXPECT_EQ(d.key, "auth_type");
  EXPECT_NE(d.message.find("not supported"), std::string::npos);
  EXPECT_EQ(load("[pooler]\nauth_type = hba\n").settings.auth_type, AuthType::Hba);
}

TEST_F(ConfigParser, BadBooleanIsRejected) {
  Diagnostic d = only_error("[pooler]\nlog_connections = maybe\n");
  EXPECT_EQ(d.where.line, 2);
  EXPECT_EQ(d.key, "log_connections");
  EXPECT_NE(d.message.find("\"maybe\" is not a boolean"), std::string::npos);
}

TEST_F(ConfigParser, BadOctalModeIsRejected) {
  Diagnostic d = only_error("[pooler]\nunix_socket_mode = 0789\n");
  EXPECT_EQ(d.key, "unix_socket_mode");
  EXPECT_NE(d.message.find("not an octal number"), std::string::npos);
}

TEST_F(ConfigParser, LineWithoutEqualsIsAnError) {
  Diagnostic d = only_error("[pooler]\nlisten_port 6432\n");
  EXPECT_EQ(d.where.line, 2);
  EXPECT_EQ(d.key, "listen_port");
  EXPECT_NE(d.message.find("'='"), std::string::npos);
}

TEST_F(ConfigParser, SettingBeforeAnySectionIsAnError) {
  Diagnostic d = only_error("listen_port = 1\n");
  EXPECT_EQ(d.where.line, 1);
  EXPECT_EQ(d.key, "listen_port");
}

TEST_F(ConfigParser, UnclosedSectionHeaderIsAnError) {
  Diagnostic d = only_error("[pooler\n");
  EXPECT_EQ(d.where.line, 1);
}

TEST_F(ConfigParser, UnknownConnectionParameterNamesDatabaseAndParameter) {
  Diagnostic d = only_error("[databases]\napp = host=x colour=blue\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:2: app: unknown connection parameter \"colour\"");
}

TEST_F(ConfigParser, BadDatabasePortNamesDatabase) {
  Diagnostic d = only_error("[databases]\napp = port=abc\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:2: app: port: \"abc\" is not a number");
}

TEST_F(ConfigParser, BadDatabasePoolSizeNamesDatabase) {
  Diagnostic d = only_error("[databases]\napp = pool_size=-1\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:2: app: pool_size: \"-1\" must not be negative");
}

TEST_F(ConfigParser, BadDatabasePoolModeNamesDatabase) {
  Diagnostic d = only_error("[databases]\napp = pool_mode=bogus\n");
  EXPECT_EQ(d.key, "app");
  EXPECT_NE(d.message.find("pool_mode"), std::string::npos);
}

TEST_F(ConfigParser, UnterminatedQuoteInConnectionStringIsAnError) {
  Diagnostic d = only_error("[databases]\napp = password='abc\n");
  EXPECT_EQ(d.key, "app");
  EXPECT_NE(d.message.find("unterminated quote"), std::string::npos);
}

TEST_F(ConfigParser, ReservedDatabaseNameIsAnError) {
  Diagnostic d = only_error("[databases]\npgbouncer = host=x\n");
  EXPECT_EQ(d.key, "pgbouncer");
}

TEST_F(ConfigParser, UnknownUserParameterIsAnError) {
  Diagnostic d = only_error("[users]\nalice = pool_size=3\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:2: alice: unknown user parameter \"pool_size\"");
}

TEST_F(ConfigParser, BadUserLimitIsAnError) {
  Diagnostic d = only_error("[users]\nalice = max_user_connections=lots\n");
  EXPECT_EQ(d.to_string(), "pooler.ini:2: alice: max_user_connections: \"lots\" is not a number");
}

TEST_F(ConfigParser, AllErrorsAreReportedNotJustTheFirst) {
  LoadResult r = parse("[pooler]\nlisten_port = x\npool_mode = y\n");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].where.line, 2);
  EXPECT_EQ(r.errors[1].where.line, 3);
}

// --- %include ---

TEST_F(ConfigParser, IncludeResolvesRelativeToIncludingFile) {
  files_["/etc/pooler/conf.d/dbs.ini"] = "[databases]\napp = host=db\n";
  LoadResult r =
      parse("[pooler]\nlisten_port = 7\n%include conf.d/dbs.ini\n", "/etc/pooler/pooler.ini");
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  ASSERT_EQ(r.config->databases.size(), 1u);
  EXPECT_EQ(r.config->databases[0].where.file, "/etc/pooler/conf.d/dbs.ini");
  EXPECT_EQ(r.config->databases[0].where.line, 2);
}

TEST_F(ConfigParser, IncludedFileContinuesTheCurrentSection) {
  files_["more.ini"] = "default_pool_size = 3\n";
  Config c = load("[pooler]\n%include more.ini\n");
  EXPECT_EQ(c.settings.default_pool_size, 3);
}

TEST_F(ConfigParser, MissingIncludeNamesIncludingFileAndLine) {
  Diagnostic d = only_error("[pooler]\n%include nope.ini\n");
  EXPECT_EQ(d.where.file, "pooler.ini");
  EXPECT_EQ(d.where.line, 2);
  EXPECT_NE(d.message.find("nope.ini"), std::string::npos);
  EXPECT_NE(d.message.find("No such file or directory"), std::string::npos) << d.message;
}

TEST_F(ConfigParser, IncludeRecursionIsAnError) {
  files_["a.ini"] = "%include b.ini\n";
  files_["b.ini"] = "[pooler]\n%include a.ini\n";
  Diagnostic d = only_error("%include a.ini\n");
  EXPECT_EQ(d.where.file, "b.ini");
  EXPECT_EQ(d.where.line, 2);
  EXPECT_NE(d.message.find("recursion"), std::string::npos);
}

TEST_F(ConfigParser, SelfIncludeIsAnError) {
  Diagnostic d = only_error("%include ./pooler.ini\n");
  EXPECT_NE(d.message.find("recursion"), std::string::npos);
}

TEST_F(ConfigParser, IncludeNestingIsLimited) {
  for (int i = 0; i < 20; ++i) {
    files_["f" + std::to_string(i) + ".ini"] = "%include f" + std::to_string(i + 1) + ".ini\n";
  }
  LoadResult r = parse("%include f0.ini\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("nested deeper"), std::string::npos);
}

TEST_F(ConfigParser, ErrorInsideIncludedFileNamesThatFile) {
  files_["inc.ini"] = "\n\nlisten_port = oops\n";
  Diagnostic d = only_error("[pooler]\n%include inc.ini\n");
  EXPECT_EQ(d.to_string(), "inc.ini:3: listen_port: \"oops\" is not a number");
}

TEST_F(ConfigParser, UnknownDirectiveIsAnError) {
  Diagnostic d = only_error("%require x\n");
  EXPECT_EQ(d.key, "%require");
}

}  // namespace
}  // namespace pooler::config
