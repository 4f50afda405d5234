# The host is never the node (POSIX sh, sourced first by lib/common.sh, so by every node-side script
# that writes). A lab script acts only inside a node's mount namespace: /etc must be the node's
# overlay (source node-etc, mounted by lib/mount-root.sh) and hold the node's marker, written by
# install.sh onto that overlay. Anywhere else (the host, or a namespace whose mounts failed) the
# script stops before it writes anything. init.sh and install.sh, which make those mounts, check
# them themselves right after.

LAB_NODE_MARKER=/etc/sriov-lab-node

# Whether the topmost mount on /etc is the node's overlay.
node_overlays_mounted() {
  awk '$5 == "/etc" { split($0, half, " - "); split(half[2], f, " "); top = (f[1] == "overlay" && f[2] == "node-etc") }
    END { exit !top }' /proc/self/mountinfo
}

require_node() {
  [ -f "$LAB_NODE_MARKER" ] && node_overlays_mounted && return 0
  echo "${0##*/}: not inside a lab node (no node overlay on /etc with $LAB_NODE_MARKER): refusing to write to this machine's files" >&2
  exit 1
}

case "${0##*/}" in
  init.sh | install.sh) ;;
  *) require_node ;;
esac
