#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config/connstring.h"
#include "config/value_parse.h"

namespace pooler::config {
namespace {

TEST(ConfigValues, IntegersParseWithinRange) {
  EXPECT_EQ(parse_int(" 42 ", 0, 100).value(), 42);
  EXPECT_FALSE(parse_int("101", 0, 100).ok());
  EXPECT_FALSE(parse_int("", 0, 100).ok());
  EXPECT_FALSE(parse_int("12abc", 0, 100).ok());
  EXPECT_FALSE(parse_int("99999999999999999999", 0, 100).ok());
  EXPECT_EQ(parse_int("0777", 0, 07777, 8).value(), 0777);
  EXPECT_EQ(parse_int("700", 0, 07777, 8).value(), 0700);
}

TEST(ConfigValues, SecondsAcceptFractionsButNotSuffixesOrNegatives) {
  EXPECT_EQ(parse_seconds("0.5").value(), Seconds{0.5});
  EXPECT_EQ(parse_seconds("15").value(), Seconds{15});
  EXPECT_FALSE(parse_seconds("15s").ok());
  EXPECT_FALSE(parse_seconds("-1").ok());
  EXPECT_FALSE(parse_seconds("inf").ok());
  EXPECT_FALSE(parse_seconds("nan").ok());
  EXPECT_FALSE(parse_seconds("").ok());
}

TEST(ConfigValues, BooleansAcceptTheUsualSpellings) {
  for (const char* t : {"1", "on", "YES", "true"}) EXPECT_TRUE(parse_bool(t).value()) << t;
  for (const char* f : {"0", "Off", "no", "FALSE"}) EXPECT_FALSE(parse_bool(f).value()) << f;
  EXPECT_FALSE(parse_bool("2").ok());
}

TEST(ConfigValues, ListsAreTrimmedAndSkipEmptyItems) {
  EXPECT_EQ(parse_list(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(parse_list("").empty());
}

TEST(ConfigValues, EnumsRoundTripThroughText) {
  for (PoolMode m : {PoolMode::Session, PoolMode::Transaction, PoolMode::Statement}) {
    EXPECT_EQ(parse_pool_mode(to_string(m)), m);
  }
  for (AuthType t : {AuthType::Trust, AuthType::Plain, AuthType::Md5, AuthType::ScramSha256,
                     AuthType::Any, AuthType::Cert, AuthType::Hba}) {
    EXPECT_EQ(parse_auth_type(to_string(t)), t);
  }
  EXPECT_EQ(parse_pool_mode("TRANSACTION"), PoolMode::Transaction);
  EXPECT_FALSE(parse_auth_type("pam").has_value());
  EXPECT_FALSE(parse_auth_type("peer").has_value());  // an HBA method only
}

TEST(ConnString, SplitsPairsAndUnquotes) {
  Result<ConnStringPairs> r = split_connstring("host=a  PORT = 5 password='x y''z'");
  ASSERT_TRUE(r.ok());
  ConnStringPairs want = {{"host", "a"}, {"port", "5"}, {"password", "x y'z"}};
  EXPECT_EQ(r.value(), want);
}

TEST(ConnString, RejectsMalformedInput) {
  EXPECT_FALSE(split_connstring("host").ok());
  EXPECT_FALSE(split_connstring("=x").ok());
  EXPECT_FALSE(split_connstring("host=").ok());
  EXPECT_FALSE(split_connstring("password=''").ok());
  EXPECT_FALSE(split_connstring("password='abc").ok());
  EXPECT_FALSE(split_connstring("password='a'b").ok());
}

TEST(ShowConfig, ListsEveryKeyAlphabeticallyWithDefaults) {
  Settings s;
  std::vector<ConfigRow> rows = show_config_rows(s);
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(),
                             [](const ConfigRow& a, const ConfigRow& b) { return a.key < b.key; }));
  // With default Settings, each value must equal the documented default text.
  for (const ConfigRow& row : rows) EXPECT_EQ(row.value, row.default_value) << row.key;
}

TEST(ShowConfig, ShowsChangedValuesAndReloadability) {
  Settings s;
  s.listen_port = 7000;
  s.reserve_pool_timeout = Seconds{0.5};
  s.pool_mode = PoolMode::Transaction;
  std::vector<ConfigRow> rows = show_config_rows(s);
  auto row = [&](std::string_view key) {
    return *std::find_if(rows.begin(), rows.end(),
                         [&](const ConfigRow& r) { return r.key == key; });
  };
  EXPECT_EQ(row("listen_port").value, "7000");
  EXPECT_FALSE(row("listen_port").changeable);
  EXPECT_EQ(row("reserve_pool_timeout").value, "0.5");
  EXPECT_TRUE(row("reserve_pool_timeout").changeable);
  EXPECT_EQ(row("pool_mode").value, "transaction");
  EXPECT_EQ(row("unix_socket_mode").value, "0777");
}

TEST(ShowConfig, EveryShownKeyIsAcceptedByTheParser) {
  Settings s;
  for (const ConfigRow& row : show_config_rows(s)) {
    Settings copy;
    ApplyOutcome out = apply_setting(copy, row.key, row.default_value);
    EXPECT_TRUE(out.known) << row.key;
    EXPECT_EQ(out.error, "") << row.key;
  }
}

TEST(Summarize, DescribesTheConfigInOneLine) {
  Config c;
  c.path = "pooler.ini";
  c.databases.resize(3);
  c.users.resize(1);
  c.settings.listen_addr = {"127.0.0.1"};
  c.settings.pool_mode = PoolMode::Transaction;
  EXPECT_EQ(summarize(c),
            "pooler.ini: OK: 3 databases, 1 user override, listen 127.0.0.1:6432, unix /tmp, "
            "auth md5, pool_mode transaction");
}

TEST(Summarize, BracketsIpv6AndNamesMissingListeners) {
  Config c;
  c.path = "p.ini";
  c.databases.resize(1);
  c.settings.listen_addr = {"::1"};
  c.settings.unix_socket_dir = "";
  EXPECT_EQ(summarize(c),
            "p.ini: OK: 1 database, 0 user overrides, listen [::1]:6432, no unix socket, "
            "auth md5, pool_mode session");
}

TEST(Diagnostics, WholeFileDiagnosticOmitsLineNumber) {
  Diagnostic d{Location{"x.ini", 0}, "", "could not read config file: No such file"};
  EXPECT_EQ(d.to_string(), "x.ini: could not read config file: No such file");
}

TEST(LoadConfigFile, MissingFileIsAnErrorNamingIt) {
  LoadResult r = load_config_file("/nonexistent/dir/pooler.ini");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].where.file, "/nonexistent/dir/pooler.ini");
}

TEST(LoadConfigFile, ReadsRealFilesAndRelativeIncludes) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("pooler_config_test_" + std::to_string(getpid()));
  fs::create_directories(dir / "conf.d");
  std::ofstream(dir / "pooler.ini") << "[pooler]\nlisten_port = 7100\n%include conf.d/db.ini\n";
  std::ofstream(dir / "conf.d" / "db.ini") << "[databases]\napp = host=h\n";
  LoadResult r = load_config_file((dir / "pooler.ini").string());
  fs::remove_all(dir);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  EXPECT_EQ(r.config->settings.listen_port, 7100);
  ASSERT_EQ(r.config->databases.size(), 1u);
  EXPECT_EQ(r.config->databases[0].host, "h");
}

}  // namespace
}  // namespace pooler::config
