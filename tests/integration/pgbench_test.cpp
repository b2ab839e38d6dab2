// pgbench with many more clients than servers, through the pooler in transaction mode.
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

  PgbenchCommand bench = pgbench_command({"-c", "100", "-T", "10"});
  const int rc = run(bench.argv, bench.options);
  const std::string output = read_file(bench.options.output_path);
  EXPECT_EQ(0, rc) << output;
  expect_pgbench_clean(output);
}

}  // namespace
}  // namespace pooler_test
