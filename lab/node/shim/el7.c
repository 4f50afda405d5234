// What a CentOS 7 node's loader and kernel answer that this machine's do not, preloaded into every
// process of a centos7 node (/etc/ld.so.preload, after sriov-numvfs.so):
//
// * glibc 2.17's loader. A program brought to the node (not one of the OS's own binaries standing
//   in for CentOS's: its path is outside /usr, /bin, /sbin, /lib*, or it is a Node) whose
//   .gnu.version_r needs a symbol version CentOS 7's libraries lack does not start: for each such
//   version, in the file's order, the loader prints
//   "ARGV0: /lib64/LIB: version `V' not found (required by ARGV0)" and exits 1 (glibc-2.17
//   elf/dl-version.c match_symbol, elf/rtld.c print_missing_version and version_check_doit's
//   _exit (1)). The newest versions CentOS 7 has: GLIBC_2.17 (glibc 2.17), GLIBCXX_3.4.19 and
//   CXXABI_1.3.7 (libstdc++ of GCC 4.8.5), GCC_4.8.0 (libgcc_s of GCC 4.8.5). The lab's own
//   scripts (LAB_SHIM_OFF set) run the machine's Node unrefused.
// * Kernel 3.10's /proc/mounts for hugetlbfs. 3.10 keeps the option string a hugetlbfs was
//   mounted with (fs/hugetlbfs/inode.c hugetlbfs_fill_super: save_mount_options) and prints it as
//   given (fs/namespace.c generic_show_options), after "rw,seclabel,relatime" (show_vfsmnt; SELinux
//   adds seclabel): `mount -t hugetlbfs none /mnt/huge` shows no pagesize= at all, `-o pagesize=2M`
//   shows "pagesize=2M" as typed. This kernel prints its own normalised "pagesize=2M" always. So
//   mount(2) calls for hugetlbfs are recorded (target, data) and reads of /proc/mounts,
//   /proc/self/mounts, /proc/PID/mounts and /etc/mtab get the 3.10 line. /proc/*/mountinfo is the
//   machine's.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD "/run/sriov-lab/el7-hugetlbfs"

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef int (*mount_fn)(const char *, const char *, const char *, unsigned long, const void *);

#define REAL(name, type) \
  static type real_##name; \
  if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

// --- the loader -------------------------------------------------------------------------------

// Compares dotted numbers "2.28" and "2.17": <0, 0, >0.
static int version_cmp(const char *a, const char *b) {
  while (*a || *b) {
    long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
    if (x != y) return x < y ? -1 : 1;
    if (*a == '.') a++;
    if (*b == '.') b++;
    if ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9'))) break;
  }
  return 0;
}

// Whether CentOS 7's libraries lack a symbol version (only the families named above count).
static int missing_on_el7(const char *v) {
  static const char *newest[][2] = {{"GLIBC_", "2.17"}, {"GLIBCXX_", "3.4.19"}, {"CXXABI_", "1.3.7"}, {"GCC_", "4.8.0"}};
  for (size_t i = 0; i < sizeof newest / sizeof newest[0]; i++) {
    size_t n = strlen(newest[i][0]);
    if (strncmp(v, newest[i][0], n) == 0 && v[n] >= '0' && v[n] <= '9') return version_cmp(v + n, newest[i][1]) > 0;
  }
  return 0;
}

static int brought_to_the_node(const char *exe) {
  const char *base = strrchr(exe, '/');
  base = base ? base + 1 : exe;
  if (strcmp(base, "node") == 0 || strcmp(base, "nodejs") == 0) return 1;
  // The machine's /usr as the lab's scripts run it (the real LXC under bin/lxc1) is the OS's too.
  static const char *os[] = {"/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/run/sriov-lab/host-usr/"};
  for (size_t i = 0; i < sizeof os / sizeof os[0]; i++)
    if (strncmp(exe, os[i], strlen(os[i])) == 0) return 0;
  return 1;
}

// Prints the loader's line for every version the executable needs that EL7 lacks; returns how many.
static int check_versions(const char *exe, const char *argv0) {
  int fd = open(exe, O_RDONLY | O_CLOEXEC), missing = 0;
  if (fd < 0) return 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) { close(fd); return 0; }
  const unsigned char *f = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (f == MAP_FAILED) return 0;
  const Elf64_Ehdr *eh = (const void *)f;
  size_t size = st.st_size;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_shoff == 0 || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size) goto done;
  const Elf64_Shdr *sh = (const void *)(f + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_GNU_verneed || sh[i].sh_link >= eh->e_shnum) continue;
    const char *strtab = (const char *)f + sh[sh[i].sh_link].sh_offset;
    size_t off = sh[i].sh_offset;
    for (;;) {
      if (off + sizeof(Elf64_Verneed) > size) break;
      const Elf64_Verneed *vn = (const void *)(f + off);
      size_t aoff = off + vn->vn_aux;
      for (int a = 0; a < vn->vn_cnt && aoff + sizeof(Elf64_Vernaux) <= size; a++) {
        const Elf64_Vernaux *vna = (const void *)(f + aoff);
        const char *v = strtab + vna->vna_name;
        if (missing_on_el7(v)) {
          dprintf(2, "%s: /lib64/%s: version `%s' not found (required by %s)\n", argv0, strtab + vn->vn_file, v, argv0);
          missing++;
        }
        if (vna->vna_next == 0) break;
        aoff += vna->vna_next;
      }
      if (vn->vn_next == 0) break;
      off += vn->vn_next;
    }
  }
done:
  munmap((void *)f, size);
  return missing;
}

__attribute__((constructor)) static void el7_loader(int argc, char **argv, char **envp) {
  (void)envp;
  if (getenv("LAB_SHIM_OFF") || argc < 1 || !argv || !argv[0]) return;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = 0;
  if (brought_to_the_node(exe) && check_versions(exe, argv[0]) > 0) _exit(1);
}

// --- hugetlbfs in /proc/mounts --------------------------------------------------------------------

// The kernel's escaping of a path or option string in /proc/mounts (seq_escape with " \t\n\\").
static void escape_to(char *out, size_t size, const char *s) {
  size_t o = 0;
  for (; *s && o + 5 < size; s++) {
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\') o += snprintf(out + o, size - o, "\\%03o", (unsigned char)*s);
    else out[o++] = *s;
  }
  out[o] = 0;
}

int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data) {
  REAL(mount, mount_fn);
  int rc = real_mount(source, target, fstype, flags, data);
  if (rc == 0 && fstype && strcmp(fstype, "hugetlbfs") == 0 && !(flags & (MS_REMOUNT | MS_BIND | MS_MOVE))) {
    int saved = errno;
    char path[PATH_MAX], esc_path[PATH_MAX * 4], esc_data[4096];
    if (realpath(target, path)) {
      escape_to(esc_path, sizeof esc_path, path);
      escape_to(esc_data, sizeof esc_data, data ? (const char *)data : "");
      REAL(open, open_fn);
      int fd = real_open(RECORD, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0) {
        dprintf(fd, "%s %s\n", esc_path, esc_data);
        close(fd);
      }
    }
    errno = saved;
  }
  return rc;
}

// The option string a hugetlbfs on `mnt` (escaped as in /proc/mounts) was mounted with: the last record.
static void saved_options(const char *mnt, char *out, size_t size) {
  out[0] = 0;
  REAL(fopen, fopen_fn);
  FILE *f = real_fopen(RECORD, "re");
  if (!f) return;
  char line[PATH_MAX * 5];
  size_t n = strlen(mnt);
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (strncmp(line, mnt, n) == 0 && line[n] == ' ') snprintf(out, size, "%s", line + n + 1);
  }
  fclose(f);
}

static int in_list(const char *tok, const char *const *list) {
  for (; *list; list++)
    if (strcmp(tok, *list) == 0) return 1;
  return 0;
}

// One /proc/mounts line as 3.10 prints it (only hugetlbfs lines differ).
static void line_as_3_10(const char *line, FILE *out) {
  char src[PATH_MAX * 4], mnt[PATH_MAX * 4], type[64], opts[4096], rest[64];
  if (sscanf(line, "%s %s %63s %4095s %63[^\n]", src, mnt, type, opts, rest) != 5 || strcmp(type, "hugetlbfs") != 0) {
    fputs(line, out);
    return;
  }
  static const char *const sb[] = {"sync", "dirsync", "mand", NULL};
  static const char *const mntopts[] = {"nosuid", "nodev", "noexec", "noatime", "nodiratime", "relatime", NULL};
  char shown[8192], saved[4096], *save = NULL;
  char *first = strtok_r(opts, ",", &save);
  size_t o = snprintf(shown, sizeof shown, "%s", first ? first : "rw");
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", save ? save : "");
  for (int pass = 0; pass < 2; pass++) {
    char buf[4096], *s2 = NULL;
    snprintf(buf, sizeof buf, "%s", copy);
    for (char *t = strtok_r(buf, ",", &s2); t; t = strtok_r(NULL, ",", &s2))
      if (in_list(t, pass == 0 ? sb : mntopts)) o += snprintf(shown + o, sizeof shown - o, ",%s", t);
    if (pass == 0) o += snprintf(shown + o, sizeof shown - o, ",seclabel");
  }
  saved_options(mnt, saved, sizeof saved);
  if (saved[0]) snprintf(shown + o, sizeof shown - o, ",%s", saved);
  fprintf(out, "%s %s %s %s %s\n", src, mnt, type, shown, rest);
}

static int is_mounts_path(const char *p) {
  if (!p) return 0;
  if (strcmp(p, "/proc/mounts") == 0 || strcmp(p, "/proc/self/mounts") == 0 || strcmp(p, "/proc/thread-self/mounts") == 0 ||
      strcmp(p, "/etc/mtab") == 0) return 1;
  if (strncmp(p, "/proc/", 6) != 0) return 0;
  const char *q = p + 6;
  if (*q < '0' || *q > '9') return 0;
  while (*q >= '0' && *q <= '9') q++;
  return strcmp(q, "/mounts") == 0;
}

// A memfd holding the 3.10 view of the mounts file at `path`; -1 (errno set) when it cannot be read.
static int mounts_as_3_10(const char *path, int flags) {
  REAL(fopen, fopen_fn);
  FILE *in = real_fopen(path, "re");
  if (!in) return -1;
  int fd = memfd_create("mounts", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
  if (fd < 0) { fclose(in); return -1; }
  int dupfd = dup(fd);
  FILE *out = dupfd >= 0 ? fdopen(dupfd, "w") : NULL;
  if (!out) { fclose(in); close(fd); if (dupfd >= 0) close(dupfd); return -1; }
  char line[PATH_MAX * 10];
  while (fgets(line, sizeof line, in)) line_as_3_10(line, out);
  fclose(in);
  fclose(out);
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static int wants_read_only(int flags) { return (flags & O_ACCMODE) == O_RDONLY; }

static int mode_arg(int flags, va_list ap) { return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0; }

#define WRAP_OPEN(name) \
  int name(const char *path, int flags, ...) { \
    va_list ap; va_start(ap, flags); int mode = mode_arg(flags, ap); va_end(ap); \
    if (wants_read_only(flags) && is_mounts_path(path)) return mounts_as_3_10(path, flags); \
    REAL(name, open_fn); return real_##name(path, flags, mode); \
  }
WRAP_OPEN(open)
WRAP_OPEN(open64)

#define WRAP_OPENAT(name) \
  int name(int dirfd, const char *path, int flags, ...) { \
    va_list ap; va_start(ap, flags); int mode = mode_arg(flags, ap); va_end(ap); \
    if (wants_read_only(flags) && is_mounts_path(path)) return mounts_as_3_10(path, flags); \
    REAL(name, openat_fn); return real_##name(dirfd, path, flags, mode); \
  }
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

#define WRAP_OPEN_2(name) \
  int name(const char *path, int flags) { \
    if (wants_read_only(flags) && is_mounts_path(path)) return mounts_as_3_10(path, flags); \
    REAL(name, open2_fn); return real_##name(path, flags); \
  }
WRAP_OPEN_2(__open_2)
WRAP_OPEN_2(__open64_2)

#define WRAP_OPENAT_2(name) \
  int name(int dirfd, const char *path, int flags) { \
    if (wants_read_only(flags) && is_mounts_path(path)) return mounts_as_3_10(path, flags); \
    REAL(name, openat2_fn); return real_##name(dirfd, path, flags); \
  }
WRAP_OPENAT_2(__openat_2)
WRAP_OPENAT_2(__openat64_2)

#define WRAP_FOPEN(name) \
  FILE *name(const char *path, const char *mode) { \
    if (mode && mode[0] == 'r' && !strchr(mode, '+') && is_mounts_path(path)) { \
      int fd = mounts_as_3_10(path, strchr(mode, 'e') ? O_CLOEXEC : 0); \
      return fd < 0 ? NULL : fdopen(fd, "r"); \
    } \
    REAL(name, fopen_fn); return real_##name(path, mode); \
  }
WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)
