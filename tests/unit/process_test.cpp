#include "core/process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pooler {
namespace {

TEST(Process, ARunningProcessRunsAndAZombieDoesNot) {
  EXPECT_TRUE(process_running(getpid()));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  // Not reaped yet: a zombie holds no fds and maps no memory, so it counts as gone.
  EXPECT_TRUE(wait_until_gone(child, std::chrono::seconds(10)));
  EXPECT_FALSE(process_running(child));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(process_running(child));  // reaped: no such process
  EXPECT_FALSE(process_running(0));
}

TEST(Process, WaitingForAProcessThatStaysGivesUp) {
  EXPECT_FALSE(wait_until_gone(getpid(), std::chrono::milliseconds(20)));
}

}  // namespace
}  // namespace pooler
