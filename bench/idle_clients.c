/* idle_clients CONNINFO N [INFLIGHT]
 *
 * Opens N libpq connections (at most INFLIGHT logins at a time, default 32), prints
 * "ready OK FAILED" on stdout once every login has finished, then holds the connections
 * open and idle until stdin reaches EOF (or SIGTERM), and closes them all.
 * Used by bench/run for the idle-client workload (g). */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s CONNINFO N [INFLIGHT]\n", argv[0]);
    return 2;
  }
  const char *conninfo = argv[1];
  int n = atoi(argv[2]);
  int inflight_max = argc > 3 ? atoi(argv[3]) : 32;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  PGconn **conns = calloc((size_t)n, sizeof *conns);
  PostgresPollingStatusType *want = calloc((size_t)n, sizeof *want);
  struct pollfd *pfd = calloc((size_t)inflight_max, sizeof *pfd);
  int *pidx = calloc((size_t)inflight_max, sizeof *pidx);
  int next = 0, ok = 0, failed = 0, active = 0;
  int *slot = calloc((size_t)inflight_max, sizeof *slot);
  for (int i = 0; i < inflight_max; i++) slot[i] = -1;
  char firsterr[512] = "";

  while (ok + failed < n) {
    /* fill free slots */
    for (int s = 0; s < inflight_max && next < n; s++) {
      if (slot[s] >= 0) continue;
      PGconn *c = PQconnectStart(conninfo);
      conns[next] = c;
      if (c == NULL || PQstatus(c) == CONNECTION_BAD) {
        if (!firsterr[0] && c) snprintf(firsterr, sizeof firsterr, "%s", PQerrorMessage(c));
        failed++;
        next++;
        continue;
      }
      want[next] = PGRES_POLLING_WRITING;
      slot[s] = next++;
      active++;
    }
    if (active == 0) continue;
    int np = 0;
    for (int s = 0; s < inflight_max; s++) {
      if (slot[s] < 0) continue;
      int i = slot[s];
      pfd[np].fd = PQsocket(conns[i]);
      pfd[np].events = want[i] == PGRES_POLLING_READING ? POLLIN : POLLOUT;
      pfd[np].revents = 0;
      pidx[np++] = s;
    }
    if (poll(pfd, (nfds_t)np, 10000) < 0 && errno != EINTR) {
      perror("poll");
      return 1;
    }
    for (int k = 0; k < np; k++) {
      if (!pfd[k].revents) continue;
      int s = pidx[k], i = slot[s];
      PostgresPollingStatusType st = PQconnectPoll(conns[i]);
      if (st == PGRES_POLLING_OK) {
        ok++;
        slot[s] = -1;
        active--;
      } else if (st == PGRES_POLLING_FAILED) {
        if (!firsterr[0]) snprintf(firsterr, sizeof firsterr, "%s", PQerrorMessage(conns[i]));
        PQfinish(conns[i]);
        conns[i] = NULL;
        failed++;
        slot[s] = -1;
        active--;
      } else {
        want[i] = st;
      }
    }
  }
  if (firsterr[0]) fprintf(stderr, "first error: %s", firsterr);
  printf("ready %d %d\n", ok, failed);
  fflush(stdout);
  char buf[256];
  while (read(0, buf, sizeof buf) > 0) {
  }
  for (int i = 0; i < n; i++)
    if (conns[i]) PQfinish(conns[i]);
  return failed ? 1 : 0;
}
