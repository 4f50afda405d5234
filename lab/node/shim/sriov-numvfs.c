// Kernel semantics for the lab's fake sysfs `sriov_numvfs` files, preloaded into every process of a
// node through /etc/ld.so.preload. A write is handed, synchronously, to the node's store handler,
// whose exit code is the errno the kernel would return (0, EBUSY, ERANGE, ENOENT, EINVAL). So
// `echo 8 > sriov_numvfs` creates the VFs before the shell continues, and writing non-zero over
// non-zero fails with "Device or resource busy", whether the writer is dash (write), bash (its
// builtins flush stdio), or a program using stdio (fclose/fflush). Data that reaches the file by
// another path is applied when the descriptor is closed (errors then only go to the kernel log).
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FD 4096
#define STORE "/usr/lib/sriov-lab/sbin/sriov-numvfs-store"
#define SYSFS_PCI "/sys/devices/pci0000:00/"
#define ATTR "/sriov_numvfs"
// Where the node's lab scripts are (lab_script); another directory only in the shim's own test.
#ifndef LAB_SCRIPTS_DIR
#define LAB_SCRIPTS_DIR "/usr/lib/sriov-lab/"
#endif

enum { UNMARKED = 0, PENDING = 1, DELIVERED = 2 };
static unsigned char marks[MAX_FD];
static int disabled;

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*creat_fn)(const char *, mode_t);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef int (*fd_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef int (*stream_fn)(FILE *);

// The next definition of `name` (libc's), looked up once.
#define REAL(name, type) \
  static type real_##name; \
  if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

static int is_target_path(const char *path) {
  size_t n = strlen(path), a = strlen(ATTR);
  return strncmp(path, SYSFS_PCI, strlen(SYSFS_PCI)) == 0 && n > a && strcmp(path + n - a, ATTR) == 0;
}

static int fd_path(int fd, char *out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, size - 1);
  if (n < 0) return -1;
  out[n] = '\0';
  return 0;
}

static int fd_is_target(int fd) {
  char path[PATH_MAX];
  return fd_path(fd, path, sizeof path) == 0 && is_target_path(path);
}

static int writable(int flags) { return (flags & O_ACCMODE) != O_RDONLY; }

static void mark_if_target(int fd, int flags) {
  if (disabled || fd < 0 || fd >= MAX_FD || !writable(flags)) return;
  marks[fd] = fd_is_target(fd) ? PENDING : UNMARKED;
}

// Runs the store handler with the written bytes; returns the errno it reports (0 = accepted).
static int deliver(int fd, const char *data, size_t len, int mode_close) {
  char path[PATH_MAX], value[64];
  if (fd_path(fd, path, sizeof path) != 0) return EIO;
  if (len >= sizeof value) return EINVAL;
  memcpy(value, data, len);
  value[len] = '\0';
  sigset_t block, saved;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &saved);  // keep a shell's SIGCHLD handler from reaping our child
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &saved, NULL);
    setenv("LAB_SHIM_OFF", "1", 1);
    execl(STORE, STORE, mode_close ? "--on-close" : "--write", path, value, (char *)NULL);
    _exit(EIO);
  }
  int status = 0, err = EIO;
  if (pid > 0) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) err = WEXITSTATUS(status);
  }
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return err;
}

static ssize_t marked_write(int fd, const void *buf, size_t len) {
  int err = deliver(fd, buf, len, 0);
  marks[fd] = DELIVERED;
  if (err != 0) {
    errno = err;
    return -1;
  }
  return (ssize_t)len;
}

static int other_mark_on_same_file(int fd) {
  char mine[PATH_MAX], other[PATH_MAX];
  if (fd_path(fd, mine, sizeof mine) != 0) return 0;
  for (int i = 0; i < MAX_FD; i++)
    if (i != fd && marks[i] && fd_path(i, other, sizeof other) == 0 && strcmp(mine, other) == 0) return 1;
  return 0;
}

// The descriptor goes away: apply whatever reached the file without passing through write().
static void settle(int fd) {
  if (fd < 0 || fd >= MAX_FD || !marks[fd]) return;
  if (marks[fd] == PENDING && !other_mark_on_same_file(fd)) {
    char path[PATH_MAX], data[64];
    ssize_t n = 0;
    REAL(open, open_fn);
    if (fd_path(fd, path, sizeof path) == 0) {
      int rfd = real_open(path, O_RDONLY);
      if (rfd >= 0) {
        n = read(rfd, data, sizeof data);
        close(rfd);
      }
    }
    deliver(fd, data, n > 0 ? (size_t)n : 0, 1);
  }
  marks[fd] = UNMARKED;
}



static int open_mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, int) : 0;
}

#define WRAP_OPEN(name)                                   \
  int name(const char *path, int flags, ...) {            \
    va_list ap;                                           \
    va_start(ap, flags);                                  \
    int mode = open_mode_arg(flags, ap);                  \
    va_end(ap);                                           \
    REAL(name, open_fn);          \
    int fd = real_##name(path, flags, mode);              \
    mark_if_target(fd, flags);                            \
    return fd;                                            \
  }
WRAP_OPEN(open)
WRAP_OPEN(open64)

#define WRAP_OPENAT(name)                                 \
  int name(int dirfd, const char *path, int flags, ...) { \
    va_list ap;                                           \
    va_start(ap, flags);                                  \
    int mode = open_mode_arg(flags, ap);                  \
    va_end(ap);                                           \
    REAL(name, openat_fn);     \
    int fd = real_##name(dirfd, path, flags, mode);       \
    mark_if_target(fd, flags);                            \
    return fd;                                            \
  }
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

#define WRAP_OPEN_2(name)                                 \
  int name(const char *path, int flags) {                 \
    REAL(name, open2_fn);               \
    int fd = real_##name(path, flags);                    \
    mark_if_target(fd, flags);                            \
    return fd;                                            \
  }
WRAP_OPEN_2(__open_2)
WRAP_OPEN_2(__open64_2)

#define WRAP_OPENAT_2(name)                               \
  int name(int dirfd, const char *path, int flags) {      \
    REAL(name, openat2_fn);          \
    int fd = real_##name(dirfd, path, flags);             \
    mark_if_target(fd, flags);                            \
    return fd;                                            \
  }
WRAP_OPENAT_2(__openat_2)
WRAP_OPENAT_2(__openat64_2)

int creat(const char *path, mode_t mode) {
  REAL(creat, creat_fn);
  int fd = real_creat(path, mode);
  mark_if_target(fd, O_WRONLY);
  return fd;
}

#define WRAP_FOPEN(name)                                          \
  FILE *name(const char *path, const char *mode) {                \
    REAL(name, fopen_fn);           \
    FILE *fp = real_##name(path, mode);                           \
    if (fp && strpbrk(mode, "wa+")) mark_if_target(fileno(fp), O_WRONLY); \
    return fp;                                                    \
  }
WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)

static void copy_mark(int from, int to) {
  if (to < 0 || to >= MAX_FD) return;
  if (marks[to]) settle(to);
  marks[to] = from >= 0 && from < MAX_FD ? marks[from] : UNMARKED;
}

int dup(int fd) {
  REAL(dup, fd_fn);
  int nfd = real_dup(fd);
  if (nfd >= 0) copy_mark(fd, nfd);
  return nfd;
}

int dup2(int fd, int nfd) {
  REAL(dup2, dup2_fn);
  if (fd != nfd && nfd >= 0 && nfd < MAX_FD && marks[nfd]) settle(nfd);
  int r = real_dup2(fd, nfd);
  if (r >= 0 && fd != nfd) copy_mark(fd, r);
  return r;
}

int dup3(int fd, int nfd, int flags) {
  REAL(dup3, dup3_fn);
  if (nfd >= 0 && nfd < MAX_FD && marks[nfd]) settle(nfd);
  int r = real_dup3(fd, nfd, flags);
  if (r >= 0) copy_mark(fd, r);
  return r;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  REAL(fcntl, fcntl_fn);
  int r = real_fcntl(fd, cmd, arg);
  if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) copy_mark(fd, r);
  return r;
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  REAL(fcntl64, fcntl_fn);
  int r = real_fcntl64(fd, cmd, arg);
  if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) copy_mark(fd, r);
  return r;
}

int close(int fd) {
  REAL(close, fd_fn);
  if (fd >= 0 && fd < MAX_FD && marks[fd]) settle(fd);
  return real_close(fd);
}

ssize_t write(int fd, const void *buf, size_t len) {
  REAL(write, write_fn);
  if (fd >= 0 && fd < MAX_FD && marks[fd]) return marked_write(fd, buf, len);
  return real_write(fd, buf, len);
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
  REAL(writev, writev_fn);
  if (fd < 0 || fd >= MAX_FD || !marks[fd]) return real_writev(fd, iov, count);
  char data[64];
  size_t len = 0;
  for (int i = 0; i < count; i++) {
    if (len + iov[i].iov_len > sizeof data) {
      errno = EINVAL;
      return -1;
    }
    memcpy(data + len, iov[i].iov_base, iov[i].iov_len);
    len += iov[i].iov_len;
  }
  return marked_write(fd, data, len);
}

// bash's echo/printf builtins write through stdout's buffer and check ferror() after fflush().
static int flush_marked(FILE *fp) {
  size_t len = (size_t)(fp->_IO_write_ptr - fp->_IO_write_base);
  if (len == 0) return 0;
  char data[64];
  if (len > sizeof data) len = sizeof data;
  memcpy(data, fp->_IO_write_base, len);
  fp->_IO_write_ptr = fp->_IO_write_base;
  int fd = fileno(fp);
  int err = deliver(fd, data, len, 0);
  marks[fd] = DELIVERED;
  if (err == 0) return 0;
  fp->_flags |= _IO_ERR_SEEN;
  errno = err;
  return EOF;
}

static int stream_marked(FILE *fp) {
  if (!fp) return 0;
  int fd = fileno(fp);
  return fd >= 0 && fd < MAX_FD && marks[fd];
}

int fflush(FILE *fp) {
  REAL(fflush, stream_fn);
  if (stream_marked(fp) && flush_marked(fp) == EOF) return EOF;
  return real_fflush(fp);
}

int fclose(FILE *fp) {
  REAL(fclose, stream_fn);
  int failed = stream_marked(fp) && flush_marked(fp) == EOF;
  int saved = errno;
  int fd = fp ? fileno(fp) : -1;
  if (fd >= 0 && fd < MAX_FD && marks[fd]) settle(fd);
  int r = real_fclose(fp);
  if (failed) {
    errno = saved;
    return EOF;
  }
  return r;
}

// Whether this process is a shell running one of the lab's own scripts (argv[1] resolves under
// /usr/lib/sriov-lab: /usr/sbin/ip is a link to one). Those write the fake sysfs themselves
// (lib/common.sh): the shim is off for them and for what they start, as common.sh's
// `exec env LAB_SHIM_OFF=1 "$0" "$@"` makes it, without the two processes that re-exec cost on
// every call of a shim (ip, systemctl, modinfo, grub-probe: ~130 per node per provisioning).
static int lab_script(int argc, char **argv) {
  if (argc < 2 || !argv || !argv[0] || !argv[1]) return 0;
  const char *shell = strrchr(argv[0], '/');
  shell = shell ? shell + 1 : argv[0];
  if (strcmp(shell, "sh") != 0 && strcmp(shell, "bash") != 0 && strcmp(shell, "dash") != 0) return 0;
  char real[PATH_MAX];
  return realpath(argv[1], real) && strncmp(real, LAB_SCRIPTS_DIR, strlen(LAB_SCRIPTS_DIR)) == 0;
}

// Descriptors inherited across exec (a shell redirect for an external command) carry no mark.
__attribute__((constructor)) static void adopt_inherited(int argc, char **argv, char **envp) {
  (void)envp;
  if (!getenv("LAB_SHIM_OFF") && lab_script(argc, argv)) setenv("LAB_SHIM_OFF", "1", 1);
  if (getenv("LAB_SHIM_OFF")) {
    disabled = 1;
    return;
  }
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return;
  int self = dirfd(dir);
  struct dirent *e;
  while ((e = readdir(dir))) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd == self || fd >= MAX_FD) continue;
    REAL(fcntl, fcntl_fn);
    int flags = real_fcntl(fd, F_GETFL);
    if (flags >= 0) mark_if_target(fd, flags);
  }
  closedir(dir);
}

__attribute__((destructor)) static void settle_all(void) {
  for (int fd = 0; fd < MAX_FD; fd++)
    if (marks[fd]) settle(fd);
}
