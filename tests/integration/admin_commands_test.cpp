// Admin console commands beyond SHOW POOLS / CLIENTS: the other views, stats_users,
// KILL, DISABLE/ENABLE, RECONNECT + WAIT_CLOSE, SUSPEND/RESUME.
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class AdminCommands : public PoolerTest {};

TEST_F(AdminCommands, EveryShowViewAnswersWithPgBouncersColumns) {
  start_pooler();
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  PqClient a = admin();
  struct View {
    const char* sql;
    std::vector<const char*> columns;
  };
  for (const View& view : std::vector<View>{
           {"SHOW SERVERS", {"type", "user", "database", "state", "addr", "port", "remote_pid"}},
           {"SHOW DATABASES", {"name", "host", "port", "database", "pool_size", "pool_mode"}},
           {"SHOW STATS", {"database", "total_xact_count", "total_query_count", "avg_query_time"}},
           {"SHOW USERS", {"name", "pool_mode"}},
           {"SHOW LISTS", {"list", "items"}},
           {"SHOW VERSION", {"version"}},
           {"SHOW CONFIG", {"key", "value", "default", "changeable"}}}) {
    Rows rows = a.exec(view.sql);
    EXPECT_GT(rows.size(), 0u) << view.sql;
    for (const char* column : view.columns) {
      EXPECT_NO_THROW(rows.at(0, column)) << view.sql << " has no column " << column;
    }
  }
  Rows stats = a.exec("SHOW STATS");
  EXPECT_GE(std::stol(stats.at(stats.only("database", "app"), "total_query_count")), 1);
}

TEST_F(AdminCommands, SetChangesASettingUntilTheNextReload) {
  start_pooler();  // default_pool_size = 5 in the file
  PqClient a = admin();
  auto config_value = [&](const std::string& key) {
    Rows rows = a.exec("SHOW CONFIG");
    return rows.at(rows.only("key", key), "value");
  };
  a.exec("SET default_pool_size = 2");
  EXPECT_EQ("2", config_value("default_pool_size"));
  // The pool obeys it: two transactions open at once, and no third server.
  PqClient c1 = connect(), c2 = connect();
  c1.exec("BEGIN");
  c2.exec("BEGIN");
  EXPECT_EQ("2", pool_stat("sv_active"));
  c1.exec("COMMIT");
  c2.exec("COMMIT");
  a.exec("SET server_reset_query = 'DISCARD ALL; SELECT ''x'''");
  EXPECT_EQ("DISCARD ALL; SELECT 'x'", config_value("server_reset_query"));
  // Errors name what is wrong, with SQLSTATE 22023, and change nothing.
  EXPECT_EQ("22023", a.expect_error("SET default_pool_size = many"));
  EXPECT_NE(a.last_error().find("not a number"), std::string::npos) << a.last_error();
  EXPECT_EQ("22023", a.expect_error("SET listen_port = 7000"));
  EXPECT_NE(a.last_error().find("cannot be changed while pooler runs"), std::string::npos)
      << a.last_error();
  EXPECT_EQ("22023", a.expect_error("SET no_such_key = 1"));
  EXPECT_NE(a.last_error().find("unknown config parameter"), std::string::npos) << a.last_error();
  EXPECT_EQ("2", config_value("default_pool_size"));
  // RELOAD reads the file again.
  a.exec("RELOAD");
  EXPECT_EQ("5", config_value("default_pool_size"));
}

TEST_F(AdminCommands, SetLogfileMovesTheLogAndRefusesNothingSilently) {
  start_pooler();
  PqClient a = admin();
  const std::string moved = pooler().dir() + "/moved.log";
  a.exec("SET logfile = '" + moved + "'");
  {
    PqClient c = connect("bob");
    EXPECT_EQ("1", c.value("SELECT 1"));
  }
  ASSERT_TRUE(poll_until([&] { return read_file(moved).find("app/bob@") != std::string::npos; }))
      << read_file(moved);
  // A logfile that cannot be opened: the setting is taken, a warning says so, and the log
  // goes on where it was.
  a.exec("SET logfile = '/nonexistent-dir/pooler.log'");
  EXPECT_TRUE(poll_until([&] {
    return read_file(moved).find("could not open logfile /nonexistent-dir/pooler.log") !=
           std::string::npos;
  })) << read_file(moved);
}

TEST_F(AdminCommands, StatsUsersMayShowButNotControl) {
  PoolerOptions options;
  options.extra_pooler_lines = {"stats_users = carol"};
  start_pooler(options);
  PqClient carol = pooler().connect("carol", PoolerProcess::admin_db());
  ASSERT_TRUE(carol.ok()) << carol.connect_error();
  EXPECT_NO_THROW(carol.exec("SHOW POOLS"));
  EXPECT_EQ("42501", carol.expect_error("SET default_pool_size = 1"));
  EXPECT_EQ("42501", carol.expect_error("PAUSE"));
}

TEST_F(AdminCommands, UnknownCommandIsASyntaxErrorAndTheConsoleStaysUsable) {
  start_pooler();
  PqClient a = admin();
  EXPECT_EQ("42601", a.expect_error("FROBNICATE"));
  EXPECT_EQ("42601", a.expect_error("SHOW NONSENSE"));
  EXPECT_EQ("3D000", a.expect_error("KILL no_such_db"));
  EXPECT_NO_THROW(a.exec("SHOW VERSION"));
}

TEST_F(AdminCommands, KillClosesTheDatabasesClientsAndResumeReopensIt) {
  start_pooler();
  PqClient victim = connect();
  EXPECT_EQ("1", victim.value("SELECT 1"));
  PqClient a = admin();
  a.exec("KILL app");
  EXPECT_NE("no error", victim.expect_error("SELECT 2"));
  a.exec("RESUME app");
  PqClient fresh = connect();
  EXPECT_EQ("3", fresh.value("SELECT 3"));
}

TEST_F(AdminCommands, DisableRefusesNewLoginsAndEnableAllowsThemAgain) {
  start_pooler();
  PqClient connected = connect();
  PqClient a = admin();
  a.exec("DISABLE app");
  PqClient refused = pooler().connect();
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ("57P03", refused.connect_sqlstate()) << refused.connect_error();
  EXPECT_EQ("1", connected.value("SELECT 1"));  // already connected clients go on
  a.exec("ENABLE app");
  PqClient welcome = connect();
  EXPECT_EQ("2", welcome.value("SELECT 2"));
}

TEST_F(AdminCommands, ReconnectReplacesServersAndWaitCloseReturnsWhenTheOldAreGone) {
  start_pooler();
  PqClient client = connect();
  std::string before = client.value("SELECT pg_backend_pid()");
  PqClient a = admin();
  a.exec("RECONNECT app");
  a.exec("WAIT_CLOSE app");
  EXPECT_NE(before, client.value("SELECT pg_backend_pid()"));
}

TEST_F(AdminCommands, SuspendStopsNewConnectionsAndResumeLetsThemIn) {
  start_pooler();
  PqClient client = connect();
  EXPECT_EQ("1", client.value("SELECT 1"));
  PqClient a = admin();
  a.exec("SUSPEND");
  a.exec("RESUME");
  EXPECT_EQ("2", client.value("SELECT 2"));
  PqClient fresh = connect();
  EXPECT_EQ("3", fresh.value("SELECT 3"));
}

// SUSPEND waits for every connection to come to rest, but no longer than suspend_timeout:
// then what is still busy is dropped with 57P01, and SUSPEND answers.
TEST_F(AdminCommands, SuspendDropsWhatIsStillBusyWhenSuspendTimeoutRunsOut) {
  PoolerOptions options;
  options.extra_pooler_lines = {"suspend_timeout = 1"};
  start_pooler(options);
  PqClient idle = connect();
  EXPECT_EQ("1", idle.value("SELECT 1"));
  PqClient busy = connect();
  busy.exec("BEGIN");
  EXPECT_EQ("2", busy.value("SELECT 2"));
  PqClient a = admin();
  a.exec("SUSPEND");  // returns only once nothing is busy
  EXPECT_NE("no error", busy.expect_error("SELECT 3"));
  EXPECT_NE(std::string::npos, busy.last_error().find("suspend_timeout")) << busy.last_error();
  a.exec("RESUME");
  EXPECT_EQ("4", idle.value("SELECT 4"));
  EXPECT_NE(std::string::npos, pooler().log().find("still busy when suspend_timeout ran out"));
}

}  // namespace
}  // namespace pooler_test
