# The tool releases each lab flavour stands for, in one place (sourced by the node's shims in
# bin/). A flavour not named here runs the machine's own tools (Debian 12's) unchanged. What each
# release does differently, and the source, is the per-flavour table of lab/README.md.
#   IPROUTE            the iproute2 release `ip` and `tc` answer as: 6.1 (the machine's) or 4.11
#   IPROUTE_SNAPSHOT   its `ip -V`/`tc -V` snapshot, for releases that printed one (include/SNAPSHOT.h)
#   UTIL_LINUX         the util-linux release `findmnt` answers as: 2.38.1 (the machine's) or 2.23.2
case "${LAB_FLAVOUR:-}" in
  centos7)
    # CentOS 7.4-7.9: iproute-4.11.0 (snapshot 170501), util-linux-2.23.2
    IPROUTE=4.11 IPROUTE_SNAPSHOT=170501 UTIL_LINUX=2.23.2
    ;;
  *)
    IPROUTE=6.1 IPROUTE_SNAPSHOT= UTIL_LINUX=2.38.1
    ;;
esac
