# The tool releases each lab flavour stands for, in one place (sourced by the node's shims in
# bin/). A flavour not named here runs the machine's own tools (Debian 12's) unchanged. What each
# release does differently, and the source, is the per-flavour table of lab/README.md.
#   IPROUTE            the iproute2 release `ip` and `tc` answer as: 6.1 (the machine's) or 4.11
#   IPROUTE_SNAPSHOT   its `ip -V`/`tc -V` snapshot, for releases that printed one (include/SNAPSHOT.h)
#   UTIL_LINUX         the util-linux release `findmnt` answers as: 2.38.1 (the machine's) or 2.23.2
#   GLIBC              the glibc release `ldd --version` and `getconf GNU_LIBC_VERSION` report: 2.36
#                      (the machine's) or 2.17 (whose loader shim/el7.c is, on centos7 nodes)
#   SYSTEMD            the systemd release whose unit parser lib/units.sh follows for
#                      StandardOutput=/StandardError= (219, 239, or empty: 240 and later);
#                      SYSTEMD_VERSION what `systemctl --version` prints
#   LXC                the LXC release the lxc-* commands answer as: 5.0.2 (the machine's) or 1.0.11
#                      (bin/lxc1, over the machine's 5.0.2)
case "${LAB_FLAVOUR:-}" in
  centos7)
    # CentOS 7.4-7.9: iproute-4.11.0 (snapshot 170501), util-linux-2.23.2, glibc-2.17,
    # systemd-219, EPEL's lxc-1.0.11
    IPROUTE=4.11 IPROUTE_SNAPSHOT=170501 UTIL_LINUX=2.23.2 GLIBC=2.17 LXC=1.0.11 SYSTEMD=219
    SYSTEMD_VERSION='systemd 219
+PAM +AUDIT +SELINUX +IMA -APPARMOR +SMACK +SYSVINIT +UTMP +LIBCRYPTSETUP +GCRYPT +GNUTLS +ACL +XZ +LZ4 -SECCOMP +BLKID +ELFUTILS +KMOD +IDN'
    ;;
  *)
    IPROUTE=6.1 IPROUTE_SNAPSHOT= UTIL_LINUX=2.38.1 GLIBC=2.36 LXC=5.0.2 SYSTEMD=
    # `systemctl --version`'s first line, "systemd N (PACKAGE-VERSION)" (src/shared/build.c
    # version()), with each release's package version: Debian 12 bookworm 252.x, AlmaLinux 8.10
    # 239-82.el8, AlmaLinux 9.2+
    # 252-N.el9, Ubuntu 24.04 noble 255.4. The features line that follows is left out: the tool
    # reads the number alone.
    case "${LAB_FLAVOUR:-}" in
      alma8) SYSTEMD=239 SYSTEMD_VERSION='systemd 239 (239-82.el8)' ;;
      alma9) SYSTEMD_VERSION='systemd 252 (252-51.el9)' ;;
      ubuntu2404) SYSTEMD_VERSION='systemd 255 (255.4-1ubuntu8)' ;;
      *) SYSTEMD_VERSION='systemd 252 (252.39-1~deb12u1)' ;;
    esac
    ;;
esac
