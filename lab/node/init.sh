#!/bin/sh
# PID 1 of one boot of a lab node, started by the lab's supervisor inside the node's network
# namespace and fresh PID, mount, UTS, IPC, cgroup and time namespaces. It boots like a server:
# mounts, network, sysctl, drivers (udev coldplug, modules-load.d), VFs (max_vfs, udev rules),
# fstab hugetlbfs mounts, boot units ordered before sshd, sshd, then the other enabled units.
# SIGTERM means reboot (exit 0), SIGUSR2 power-off (exit 10): when PID 1 exits the kernel kills
# everything else in the node, containers included.
# Environment: LAB_NODE LAB_NODE_INDEX LAB_FLAVOUR LAB_FIRMWARE LAB_NIC LAB_NODE_DIR LAB_SRC LAB_NODEJS LAB_ADDRESS
#              LAB_SHIM_DIR LAB_SHIM_OFF=1
trap 'exit 0' TERM
trap 'exit 10' USR2
set -eu

. "$LAB_SRC/lib/common.sh"
. "$LAB_SRC/lib/mount-root.sh"
# A failed step of the node's disk stops the boot: a node must never run on the host's /etc, /usr.
node_mount_disk
node_overlays_mounted || die "init: the node's disk is not mounted over /etc: not booting on this machine's files"
# Nodes installed before the marker existed get it here, on their own overlay.
[ -f "$LAB_NODE_MARKER" ] || echo "$LAB_NODE" > "$LAB_NODE_MARKER"
require_node
# From here on a failing step is logged and the boot goes on, like systemd's.
set +e
node_mount_proc
node_mount_cgroups
node_mount_sysfs
node_mount_firmware
. "$LAB_LIB/lib/devices.sh"
. "$LAB_LIB/lib/modules.sh"
. "$LAB_LIB/lib/units.sh"
boot=$LAB_RUN/boot
# `lab exec` enters the node only from here on (lab/control.ts).
date +%s%3N > "$boot/mounted"

hostname "$LAB_NODE"
cat > "$LAB_RUN/node.env" << EOF
LAB_NODE=$LAB_NODE
LAB_NODE_INDEX=$LAB_NODE_INDEX
LAB_FLAVOUR=$LAB_FLAVOUR
LAB_FIRMWARE=${LAB_FIRMWARE:-bios}
LAB_NIC=$LAB_NIC
LAB_NODEJS=/run/sriov-lab/nodejs
EOF
nic_settings >> "$LAB_RUN/node.env"
: > "$LAB_RUN/kmsg"
: > "$LAB_RUN/journal"
klog "Linux version $KREL (sriov-lxc lab node $LAB_NODE)"
klog "Command line: $(cat /proc/cmdline)"

# Network: what survived the last boot in the node's namespace goes (VF netdevs, addresses).
$REAL_IP link set lo up
for dev in $($REAL_IP -o link show | sed -n 's/^[0-9]*: \([^@:]*\).*/\1/p'); do
  case "$dev" in lo | enp4s0f0 | enp4s0f1) ;; *) $REAL_IP link del "$dev" 2> /dev/null ;; esac
done
for pf in $PFS; do
  $REAL_IP addr flush dev "$pf"
  $REAL_IP link set "$pf" up
done
$REAL_IP addr add "$LAB_ADDRESS" dev enp4s0f0

sysctl --system > /dev/null 2>&1

# udev coldplug loads the PF driver; modules-load.d comes after.
nic_firmware_boot
pci_tree_init
iommu_init
module_blacklisted "$NIC_pf_driver" || modules_load "$NIC_pf_driver" "$(module_config_params "$NIC_pf_driver")" 2>> "$LAB_RUN/kmsg"
# Like systemd-modules-load: a name in /etc hides the same name in /run and /usr/lib; name order.
for conf in $(ls /etc/modules-load.d/*.conf /run/modules-load.d/*.conf /usr/lib/modules-load.d/*.conf 2> /dev/null |
  awk -F/ '!seen[$NF]++ { print $NF "\t" $0 }' | sort | cut -f2); do
  sed -e 's/[#;].*//' "$conf" | while read -r m; do
    [ -n "$m" ] || continue
    modules_load "$m" "$(module_config_params "$(echo "$m" | tr - _)")" 2> /dev/null ||
      klog "systemd-modules-load: Failed to find module '$m'"
  done
done

# udev rules that set sriov_numvfs on a PF (KERNEL== or KERNELS==, by netdev name or PCI address).
cat /etc/udev/rules.d/*.rules 2> /dev/null | grep -v '^[[:space:]]*#' | grep sriov_numvfs |
  awk -F', *' '{ k = ""; n = ""
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^KERNELS?=="/) { k = $i; sub(/^KERNELS?=="/, "", k); sub(/".*/, "", k) }
      if ($i ~ /ATTRS?\{(device\/)?sriov_numvfs\}="/) { n = $i; sub(/.*="/, "", n); sub(/".*/, "", n) }
    }
    if (k != "" && n != "") print k, n }' |
  while read -r pattern n; do
    for i in 0 1; do
      # shellcheck disable=SC2254 # udev KERNEL== is a glob
      case "$(pf_name "$i")" in $pattern) ;; *) case "$(pf_pci "$i")" in $pattern) ;; *) continue ;; esac ;; esac
      "$LAB_LIB/sbin/sriov-numvfs-store" --write "$(pf_dir "$i")/sriov_numvfs" "$n" ||
        klog "udev: writing sriov_numvfs=$n for $(pf_name "$i") failed: errno $?"
    done
  done

# fstab: the hugetlbfs mounts (systemd creates missing mount points).
awk '!/^[[:space:]]*#/ && $3 == "hugetlbfs" { print $1, $2, $4 }' /etc/fstab | while read -r src dst opts; do
  mkdir -p "$dst"
  if [ -z "$opts" ] || [ "$opts" = defaults ]; then
    mount -t hugetlbfs "$src" "$dst" || klog "mount: $dst: hugetlbfs mount failed"
  else
    mount -t hugetlbfs -o "$opts" "$src" "$dst" || klog "mount: $dst: hugetlbfs mount ($opts) failed"
  fi
done

for u in $(units_boot_order --before-ssh); do unit_start "$u" 2>> "$LAB_RUN/journal"; done
# systemd orders its whole transaction before it starts anything: the units after sshd are picked
# now, so the node spends nothing on picking them while sshd takes its first connections.
after_ssh=$(units_boot_order --after-ssh)

# The installation's options (faults no-lspci, german-locale, kdump-dropin): sbin/node-options.
"$LAB_LIB/sbin/node-options" 2>> "$LAB_RUN/kmsg" || klog "node-options failed"
# Debian's sshd gives every session the node's locale (pam_env, envfile=/etc/default/locale);
# this sshd runs without PAM, so SetEnv does it.
node_lang=$(sed -n 's/^LANG=//p' /etc/default/locale 2> /dev/null | tail -n1)
# shim/sshd-ready.c writes $boot/sshd-ready when sshd listens (the time the benchmarks measure from).
env -u LAB_SHIM_OFF LD_PRELOAD="/run/sriov-lab/lib/ssh-drops.so /run/sriov-lab/lib/sshd-ready.so" \
  LAB_SSH_DROPS_FILE="$boot/ssh-drops-left" LAB_SSHD_READY_FILE="$boot/sshd-ready" \
  /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config ${node_lang:+-o "SetEnv=LANG=$node_lang"} 2>> "$boot/sshd.log" &
tries=0
until [ -e "$boot/sshd-ready" ] || [ $tries -ge 500 ]; do
  sleep 0.01
  tries=$((tries + 1))
done
# An sshd that did not listen within 5 s: the boot goes on, and its record says when it was given up.
[ -e "$boot/sshd-ready" ] || { klog "sshd did not listen within 5 s"; date +%s%3N > "$boot/sshd-ready"; }

(
  for u in $after_ssh; do unit_start "$u" 2>> "$LAB_RUN/journal"; done
  touch "$LAB_RUN/boot-complete"
  date +%s%3N > "$boot/boot-complete"
) &

while :; do
  sleep 3600 &
  wait $!
done
