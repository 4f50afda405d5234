# The busybox tree of the lab's LXC template (lxc/lxc-sriov-lab): the binary and a link per applet,
# kept in the template's cache as the real lxc-debian and lxc-centos keep the rootfs they download
# under /var/cache/lxc, and copied into each container's rootfs. Built per container it cost one
# `ln` process per applet (~270, ~2 ms of CPU each on a node): 16 % of this machine's CPU while 8
# lab nodes provisioned (perf), competing with the nodes the benchmark times. Sourced; POSIX sh.

BUSYBOX_CACHE=/var/cache/lxc/sriov-lab/busybox

# Makes the cache unless it holds this node's busybox (built aside, then moved into place).
busybox_cache() { # BUSYBOX
  local build
  require_node || return 1
  cmp -s "$1" "$BUSYBOX_CACHE/busybox" 2> /dev/null && return 0
  mkdir -p "${BUSYBOX_CACHE%/*}"
  build=$(mktemp -d "${BUSYBOX_CACHE%/*}/.busybox.XXXXXX") || return 1
  cp "$1" "$build/busybox" &&
    (cd "$build" && ./busybox --list | grep -v '^busybox$' | while read -r applet; do ln -sf busybox "$applet"; done) || {
    rm -rf "$build"
    return 1
  }
  rm -rf "$BUSYBOX_CACHE"
  mv -T "$build" "$BUSYBOX_CACHE"
}
