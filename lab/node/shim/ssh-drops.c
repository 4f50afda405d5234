// The lab fault `ssh-drops`, preloaded into a node's sshd only: while the counter file named by
// LAB_SSH_DROPS_FILE holds N > 0, the next N accepted connections are reset (RST, as a flaky
// switch or a firewall would) and the counter goes down by one each time.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

static int take_one_drop(void) {
  const char *path = getenv("LAB_SSH_DROPS_FILE");
  if (!path) return 0;
  int fd = open(path, O_RDWR);
  if (fd < 0) return 0;
  int drop = 0;
  char buf[32] = {0};
  if (flock(fd, LOCK_EX) == 0 && read(fd, buf, sizeof buf - 1) > 0) {
    long left = strtol(buf, NULL, 10);
    if (left > 0) {
      drop = 1;
      int n = snprintf(buf, sizeof buf, "%ld\n", left - 1);
      if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n) perror("ssh-drops counter");
    }
  }
  close(fd);
  return drop;
}

static int reset_if_dropped(int fd) {
  if (fd < 0 || !take_one_drop()) return fd;
  struct linger hard = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  close(fd);
  errno = ECONNABORTED;  // sshd's accept loop ignores this and waits for the next connection
  return -1;
}

int accept(int sock, struct sockaddr *addr, socklen_t *len) {
  int (*real)(int, struct sockaddr *, socklen_t *) = dlsym(RTLD_NEXT, "accept");
  return reset_if_dropped(real(sock, addr, len));
}

int accept4(int sock, struct sockaddr *addr, socklen_t *len, int flags) {
  int (*real)(int, struct sockaddr *, socklen_t *, int) = dlsym(RTLD_NEXT, "accept4");
  return reset_if_dropped(real(sock, addr, len, flags));
}
