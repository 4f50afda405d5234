// The lab's record of when a node's sshd accepts connections (the reboot benchmarks measure from
// it), preloaded into the node's sshd only: the first listen() that succeeds writes the time
// (milliseconds since the epoch) into the file named by LAB_SSHD_READY_FILE. A shell loop polling
// /proc/net/tcp every 10 ms took it up to 200 ms late on a loaded machine, after a client had
// already logged in, which flattered every detection measured from it. The time is taken before
// the call, so the record is never later than the first connection the kernel could accept.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void record(const char *path, long long ms) {
  char temp[4096];
  if (snprintf(temp, sizeof temp, "%s.%ld", path, (long)getpid()) >= (int)sizeof temp) return;
  FILE *f = fopen(temp, "wx");
  if (!f) return;
  int ok = fprintf(f, "%lld\n", ms) > 0;
  ok = fclose(f) == 0 && ok;
  // link() never replaces: the first listener's time stays (sshd listens on IPv4 and IPv6), and a
  // reader never sees a half-written file.
  if (ok) link(temp, path);
  unlink(temp);
}

int listen(int sock, int backlog) {
  int (*real)(int, int) = dlsym(RTLD_NEXT, "listen");
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int result = real(sock, backlog);
  const char *path = getenv("LAB_SSHD_READY_FILE");
  if (result == 0 && path) record(path, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
  return result;
}
