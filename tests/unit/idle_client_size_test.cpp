// An idle client is mostly its ClientConnection: issue 6 budgets 0.8 KiB of RSS per idle
// client, and the bench measured 0.79 KiB with this size. A member added in the wrong place
// (padding) or one that only some clients need belongs elsewhere (see LoginState).
#include <gtest/gtest.h>

#include "pool/client_connection.h"

namespace pooler::pool {
namespace {

TEST(IdleClientSize, ClientConnectionStaysWithinItsMallocChunk) {
  // glibc hands out 576-byte chunks for requests of 553 to 568 bytes.
  EXPECT_LE(sizeof(ClientConnection), 568u)
      << "an idle client grew: move what it does not always need out of ClientConnection "
         "(see docs/performance.md, the idle client)";
}

}  // namespace
}  // namespace pooler::pool
