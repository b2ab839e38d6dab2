// NotifySocket against a datagram socket standing in for systemd's notify socket.
#include "systemd/notify_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace pooler::systemd {
namespace {

// A bound datagram socket and NOTIFY_SOCKET pointing at it, for one test.
class Receiver {
 public:
  explicit Receiver(bool abstract) {
    name_ = "pooler-notify-test-" + std::to_string(getpid());
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len;
    if (abstract) {
      memcpy(addr.sun_path + 1, name_.data(), name_.size());
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
      setenv("NOTIFY_SOCKET", ("@" + name_).c_str(), 1);
    } else {
      path_ = std::string(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + "/" + name_;
      unlink(path_.c_str());
      memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
      len = sizeof addr;
      setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~Receiver() {
    close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
    unsetenv("NOTIFY_SOCKET");
  }
  bool bound() const { return bound_; }

  // The next message and the fds that came with it.
  std::string receive(std::vector<int>* fds) {
    char data[512];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return "<nothing>";
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
          fds->push_back(fd);
        }
      }
    }
    return std::string(data, static_cast<size_t>(n));
  }

 private:
  std::string name_, path_;
  int fd_ = -1;
  bool bound_ = false;
};

void expect_message_with_fd(bool abstract) {
  Receiver receiver(abstract);
  ASSERT_TRUE(receiver.bound());
  NotifySocket notify;
  ASSERT_TRUE(notify.valid());
  int pipe_fds[2];
  ASSERT_EQ(0, pipe(pipe_fds));
  EXPECT_TRUE(notify.send("FDSTORE=1\nFDNAME=client-1", &pipe_fds[0], 1));
  EXPECT_TRUE(notify.send("WATCHDOG=1"));
  std::vector<int> fds;
  EXPECT_EQ("FDSTORE=1\nFDNAME=client-1", receiver.receive(&fds));
  ASSERT_EQ(1u, fds.size());
  struct stat passed {
  }, original{};
  ASSERT_EQ(0, fstat(fds[0], &passed));
  ASSERT_EQ(0, fstat(pipe_fds[0], &original));
  EXPECT_EQ(passed.st_ino, original.st_ino) << "the very pipe arrived";
  fds.clear();
  EXPECT_EQ("WATCHDOG=1", receiver.receive(&fds));
  EXPECT_TRUE(fds.empty());
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST(NotifySocket, SendsToAPathWithAnFd) {
  expect_message_with_fd(false);
}

TEST(NotifySocket, SendsToAnAbstractNameWithAnFd) {
  expect_message_with_fd(true);
}

TEST(NotifySocket, WithoutAUsableAddressItIsInvalidAndSendsNothing) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(NotifySocket().valid());
  setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
  NotifySocket vsock;
  EXPECT_FALSE(vsock.valid());
  EXPECT_FALSE(vsock.send("READY=1"));
  unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace pooler::systemd
