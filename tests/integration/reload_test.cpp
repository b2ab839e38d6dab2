// Reloading the config (admin RELOAD or SIGHUP): good changes apply, a broken file changes
// nothing and breaks nobody.
#include <algorithm>
#include <optional>
#include <sstream>
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class Reload : public PoolerTest {
 protected:
  void SetUp() override {
    PoolerOptions options;
    options.default_pool_size = 5;
    start_pooler(options);
    client_ = connect();
  }

  std::string config_value(const std::string& key) {
    Rows config = admin().exec("SHOW CONFIG");
    return config.at(config.only("key", key), "value");
  }
  std::string database_pool_size(const std::string& name) {
    Rows databases = admin().exec("SHOW DATABASES");
    return databases.at(databases.only("name", name), "pool_size");
  }
  void write_pool_size(const std::string& value) {
    std::string ini = pooler().render_ini(pooler().options());
    const std::string line = "default_pool_size = 5\n";
    ini.replace(ini.find(line), line.size(), "default_pool_size = " + value + "\n");
    pooler().rewrite_ini(ini);
  }

  // True when a log line written after `offset` names `setting` and reads like an error.
  bool log_reports_error_about(const std::string& setting, size_t offset) {
    std::istringstream lines(pooler().log().substr(offset));
    for (std::string line; std::getline(lines, line);) {
      std::string lower = line;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower.find(setting) == std::string::npos) continue;
      for (const char* word : {"error", "invalid", "warning", "not a number"}) {
        if (lower.find(word) != std::string::npos) return true;
      }
    }
    return false;
  }

  std::optional<PqClient> client_;
};

TEST_F(Reload, ReloadCommandAppliesNewPoolSize) {
  write_pool_size("7");
  admin().exec("RELOAD");
  EXPECT_EQ("7", config_value("default_pool_size"));
  EXPECT_EQ("7", database_pool_size("app"));
  EXPECT_EQ("1", client_->value("SELECT 1"));
}

TEST_F(Reload, SighupAppliesNewPoolSize) {
  write_pool_size("7");
  pooler().reload();
  EXPECT_TRUE(poll_until([&] { return config_value("default_pool_size") == "7"; }));
  EXPECT_EQ("7", database_pool_size("app"));
  EXPECT_EQ("1", client_->value("SELECT 1"));
}

// Promise: the operator hears about the bad value (RELOAD fails, or the log names the setting)
// and the running config is unchanged.
// PgBouncer 1.18 logs 'invalid value "abc" for parameter default_pool_size' but then resets
// the setting to its default (20) instead of keeping 5 (same on SIGHUP).
TEST_F(Reload, ReloadCommandWithBrokenFileKeepsOldValue) {
  const size_t log_before = pooler().log().size();
  write_pool_size("abc");
  PqClient console = admin();
  const bool reload_failed = console.expect_error("RELOAD") != "no error";
  const bool logged =
      poll_until([&] { return log_reports_error_about("default_pool_size", log_before); },
                 reload_failed ? 0s : 10s);
  EXPECT_TRUE(reload_failed || logged);
  EXPECT_EQ("5", config_value("default_pool_size"));
  EXPECT_EQ("1", client_->value("SELECT 1"));
  EXPECT_TRUE(connect().ok());
}

TEST_F(Reload, SighupWithBrokenFileKeepsOldValue) {
  const size_t log_before = pooler().log().size();
  write_pool_size("abc");
  pooler().reload();
  EXPECT_TRUE(poll_until([&] { return log_reports_error_about("default_pool_size", log_before); }))
      << "the log does not mention the broken setting";
  EXPECT_EQ("5", config_value("default_pool_size"));
  EXPECT_EQ("1", client_->value("SELECT 1"));
  EXPECT_TRUE(connect().ok());
}

}  // namespace
}  // namespace pooler_test
