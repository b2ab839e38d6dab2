/* tcp_relay LISTEN_PORT UPSTREAM_PORT: the cheapest possible proxy on 127.0.0.1, as a
 * reference for the benchmark (docs/performance.md, "The floor"). Every client gets its own
 * upstream connection (no pooling, no protocol), and each readable socket costs one recv and
 * one send to its partner: the system calls any pooler must make per message. Its CPU per
 * transaction is the floor a pooler's CPU cannot go below on this machine. Not a product:
 * a partial send just waits for the socket, and a failure closes the pair. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FD 65536
static int partner[MAX_FD];

static int tcp_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static void close_pair(int ep, int fd) {
  int other = partner[fd];
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  epoll_ctl(ep, EPOLL_CTL_DEL, other, NULL);
  close(fd);
  close(other);
  partner[fd] = partner[other] = -1; /* later events of this batch for them are stale */
}

/* Sends all of buf, waiting for room if the socket is full (rare with small messages). */
static int send_all(int fd, const char* buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      buf += w;
      n -= w;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, -1);
    } else {
      return -1;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: tcp_relay LISTEN_PORT UPSTREAM_PORT\n");
    return 2;
  }
  int listen_port = atoi(argv[1]), upstream_port = atoi(argv[2]);
  int lfd = tcp_socket(), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in la = loopback(listen_port);
  if (bind(lfd, (struct sockaddr*)&la, sizeof la) || listen(lfd, 1024)) {
    perror("tcp_relay: bind/listen");
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  for (int i = 0; i < MAX_FD; ++i) partner[i] = -1;
  static char buf[65536];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0 || c >= MAX_FD) {
          if (c >= 0) close(c);
          continue;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int u = tcp_socket();
        struct sockaddr_in ua = loopback(upstream_port);
        if (u >= MAX_FD || connect(u, (struct sockaddr*)&ua, sizeof ua)) {
          close(c);
          close(u);
          continue;
        }
        partner[c] = u;
        partner[u] = c;
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        struct epoll_event ue = {.events = EPOLLIN, .data.fd = u};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        epoll_ctl(ep, EPOLL_CTL_ADD, u, &ue);
        continue;
      }
      if (partner[fd] < 0) continue;
      ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) {
        if (send_all(partner[fd], buf, r)) close_pair(ep, fd);
      } else if (r == 0 || errno != EAGAIN) {
        close_pair(ep, fd);
      }
    }
  }
}
