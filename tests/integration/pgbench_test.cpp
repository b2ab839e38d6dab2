// pgbench with many more clients than servers, through the pooler in transaction mode.
#include <regex>
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

class Pgbench : public PoolerTest {};

TEST_F(Pgbench, HundredClientsOnTenServersRunWithoutFailures) {
  PoolerOptions options;
  options.pool_mode = "transaction";
  options.default_pool_size = 10;
  options.max_client_conn = 150;
  start_pooler(options);

  SpawnOptions run_options;
  run_options.as_test_user = false;
  run_options.output_path = pooler().dir() + "/pgbench.out";
  run_options.env = {"PGPASSWORD=" + password_of("alice")};
  const int rc =
      run({"/usr/lib/postgresql/15/bin/pgbench", "-n", "-c", "100", "-j", "2", "-T", "10", "-h",
           "127.0.0.1", "-p", std::to_string(pooler().port()), "-U", "alice", "app"},
          run_options);
  const std::string output = read_file(run_options.output_path);
  EXPECT_EQ(0, rc) << output;

  std::smatch failed;
  ASSERT_TRUE(
      std::regex_search(output, failed, std::regex(R"(number of failed transactions: (\d+))")))
      << output;
  EXPECT_EQ("0", failed[1].str()) << output;
  std::smatch processed;
  ASSERT_TRUE(std::regex_search(output, processed,
                                std::regex(R"(number of transactions actually processed: (\d+))")));
  EXPECT_GT(std::stoll(processed[1].str()), 0) << output;
}

}  // namespace
}  // namespace pooler_test
