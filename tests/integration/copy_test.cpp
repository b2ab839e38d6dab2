// COPY streams through the pooler in both directions without losing or changing bytes.
#include <cstdint>
#include <string>

#include "pooler_test.h"

namespace pooler_test {
namespace {

// Order-independent digest of COPY text data: byte count, line count, and the sum of the lines'
// FNV-1a hashes (COPY TO need not return rows in insertion order).
struct Digest {
  uint64_t bytes = 0;
  uint64_t lines = 0;
  uint64_t hash_sum = 0;
  uint64_t line_hash = 14695981039346656037ull;

  void add(const char* data, size_t size) {
    bytes += size;
    for (size_t i = 0; i < size; ++i) {
      if (data[i] == '\n') {
        hash_sum += line_hash;
        line_hash = 14695981039346656037ull;
        ++lines;
      } else {
        line_hash = (line_hash ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
      }
    }
  }
  bool operator==(const Digest& other) const {
    return bytes == other.bytes && lines == other.lines && hash_sum == other.hash_sum;
  }
};

class Copy : public PoolerTest {
 protected:
  void SetUp() override { start_pooler(); }
};

TEST_F(Copy, TenMegabytesInComeBackOutUnchanged) {
  PqClient client = connect();
  // Transaction mode: a regular table, since consecutive statements may use different servers.
  client.exec("DROP TABLE IF EXISTS copy_test_lines");
  client.exec("CREATE TABLE copy_test_lines (n int, payload text)");

  Digest sent;
  PGresult* in = PQexec(client.raw(), "COPY copy_test_lines FROM STDIN");
  const ExecStatusType in_status = PQresultStatus(in);
  PQclear(in);
  ASSERT_EQ(PGRES_COPY_IN, in_status);
  std::string chunk;
  const std::string payload(90, 'x');
  for (int n = 0; sent.bytes < 10 * 1024 * 1024; ++n) {
    std::string line = std::to_string(n) + "\t" + payload + std::to_string(n * 7919 % 1000) + "\n";
    chunk += line;
    if (chunk.size() >= 64 * 1024) {
      ASSERT_EQ(1, PQputCopyData(client.raw(), chunk.data(), static_cast<int>(chunk.size())));
      sent.add(chunk.data(), chunk.size());
      chunk.clear();
    }
  }
  ASSERT_EQ(1, PQputCopyData(client.raw(), chunk.data(), static_cast<int>(chunk.size())));
  sent.add(chunk.data(), chunk.size());
  ASSERT_EQ(1, PQputCopyEnd(client.raw(), nullptr));
  PGresult* done = PQgetResult(client.raw());
  EXPECT_EQ(PGRES_COMMAND_OK, PQresultStatus(done)) << PQerrorMessage(client.raw());
  EXPECT_EQ(std::to_string(sent.lines), PQcmdTuples(done));
  PQclear(done);
  while (PGresult* extra = PQgetResult(client.raw())) PQclear(extra);

  Digest received;
  PGresult* out = PQexec(client.raw(), "COPY copy_test_lines TO STDOUT");
  ASSERT_EQ(PGRES_COPY_OUT, PQresultStatus(out)) << PQerrorMessage(client.raw());
  PQclear(out);
  char* buffer = nullptr;
  int size = 0;
  while ((size = PQgetCopyData(client.raw(), &buffer, 0)) > 0) {
    received.add(buffer, static_cast<size_t>(size));
    PQfreemem(buffer);
  }
  EXPECT_EQ(-1, size) << PQerrorMessage(client.raw());
  PGresult* end = PQgetResult(client.raw());
  EXPECT_EQ(PGRES_COMMAND_OK, PQresultStatus(end));
  PQclear(end);
  while (PGresult* extra = PQgetResult(client.raw())) PQclear(extra);

  EXPECT_GE(sent.bytes, 10u * 1024 * 1024);
  EXPECT_EQ(sent.bytes, received.bytes);
  EXPECT_EQ(sent.lines, received.lines);
  EXPECT_TRUE(sent == received) << "same size, different content";
  EXPECT_EQ("1", client.value("SELECT 1"));
  client.exec("DROP TABLE copy_test_lines");
}

}  // namespace
}  // namespace pooler_test
