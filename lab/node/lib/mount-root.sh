# Assembles a node's view of the machine in its own mount namespace (POSIX sh, sourced by init and
# install). The node's "disk" is $LAB_NODE_DIR/disk (in the lab's tmpfs, lab/nodes-tmpfs.ts) and, for
# /srv, $LAB_BLOCK_DIR (on this machine's disk): overlays over the host's /etc /usr /opt /srv
# /home (what the node changes lands in the upper dirs and survives reboots), a /var of its own (an
# overlay on the lower layer the lab built, disk/.var-base: nothing of the host's /var shows in the
# node, nothing the node writes there reaches the host), its own /root /boot /mnt /tmp
# /var/lib/lxc, and a fresh /run per boot.

NODE_OVERLAYS="etc usr var opt srv home"

node_mount_disk() {
  mount --make-rprivate /
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
  lab=/run/sriov-lab
  mkdir -p $lab/node $lab/src $lab/lib $lab/host-usr $lab/firmware $lab/boot /run/lock /run/sshd
  touch $lab/nodejs
  # Node's compile cache for the lab's Node helpers (bin/ip): root's alone, fresh every boot.
  mkdir -m 0700 $lab/compile-cache
  # Stable paths first: the lab's directories may live under a path the node covers (/tmp, /root).
  mount --bind "$LAB_NODE_DIR" $lab/node
  mount --bind "$LAB_SRC" $lab/src
  mount --bind "$LAB_SHIM_DIR" $lab/lib
  mount --bind /usr $lab/host-usr
  [ -n "${LAB_NODEJS:-}" ] && mount --bind "$LAB_NODEJS" $lab/nodejs
  # The checkout the lab runs from shows on the node as any host path does (the tests run the tool
  # on a node, --local), unless the node covers it with its own /root /tmp /boot /mnt: then it is
  # bound there too, read-only, at the same path (a clone under /tmp or /root).
  tool=
  case "${LAB_TOOL_ROOT:-}" in
    /root/*|/tmp/*|/boot/*|/mnt/*) tool=$LAB_TOOL_ROOT; mkdir -p $lab/tool; mount --bind "$tool" $lab/tool ;;
  esac
  for m in $lab/src $lab/lib $lab/host-usr; do mount -o remount,bind,ro $m; done
  disk=$lab/node/disk
  [ -d "$disk/.var-base" ] || die "not mounting the node's disk: it has no /var of its own ($LAB_NODE_DIR/disk/.var-base), a node made by an older lab; take the lab down and up again"
  { [ -n "${LAB_BLOCK_DIR:-}" ] && [ -d "$LAB_BLOCK_DIR/srv" ]; } || die "not mounting the node's disk: its /srv has no upper dir on this machine's disk (${LAB_BLOCK_DIR:-LAB_BLOCK_DIR unset}/srv), a node made by an older lab; take the lab down and up again"
  for d in $NODE_OVERLAYS; do
    lower=/$d upper=$disk
    [ "$d" != var ] || lower=$disk/.var-base
    # /srv on this machine's disk, the rest in the lab's tmpfs (lab/install.ts BLOCK_OVERLAYS)
    [ "$d" != srv ] || upper=$LAB_BLOCK_DIR
    mount -t overlay "node-$d" -o "lowerdir=$lower,upperdir=$upper/$d,workdir=$upper/.work/$d" "/$d"
  done
  for d in root boot mnt tmp; do
    mount --bind "$disk/$d" "/$d"
  done
  if [ -n "$tool" ]; then
    # Made in the node's own /root, /tmp... (its disk): nothing written on the host.
    mkdir -p "$tool"
    mount --bind $lab/tool "$tool"
    mount -o remount,bind,ro "$tool"
    umount $lab/tool
    rmdir $lab/tool
  fi
  mount --bind "$disk/lxc" /var/lib/lxc
  mount --bind $lab/src /usr/lib/sriov-lab
  mount --bind $lab/node/firmware $lab/firmware
  mount --bind $lab/node/run $lab/boot
  umount $lab/node $lab/src
  rmdir $lab/node $lab/src
  # From here on the lab's sources are where the node sees them: the checkout (LAB_SRC) may lie
  # under /root, /tmp, /boot or /mnt, now the node's own.
  unset LAB_SRC
}

# The kernel's view of the simulated firmware: cmdline, boot_id and cpuinfo from files the lab
# writes before each boot; /proc/sys read-only but for the node's own network namespace and a
# per-node vm.nr_hugepages (the real one is machine-wide).
node_mount_proc() {
  run=/run/sriov-lab/boot
  mount --bind /proc/sys /proc/sys
  mount -o remount,bind,ro /proc/sys
  mount --bind /proc/sys/net /proc/sys/net
  mount -o remount,bind,rw /proc/sys/net
  mount --bind "$run/nr_hugepages" /proc/sys/vm/nr_hugepages
  mount -o remount,bind,rw /proc/sys/vm/nr_hugepages
  mount --bind "$run/boot_id" /proc/sys/kernel/random/boot_id
  mount -o remount,bind,ro /proc/sys/kernel/random/boot_id
  for f in cmdline cpuinfo; do
    mount --bind "$run/$f" "/proc/$f"
    mount -o remount,bind,ro "/proc/$f"
  done
}

# `ip netns exec` mounted a fresh sysfs, so the cgroup hierarchies are gone: mount them again
# (the node runs in its own cgroup namespace, so they show its own subtree) for LXC.
node_mount_cgroups() {
  mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
  for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
    mkdir -p "/sys/fs/cgroup/$c"
    mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
  done
  mkdir -p /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
  mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
  mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
}

# The PCI part of sysfs and /sys/class/iommu are tmpfs the lab fills (lib/devices.sh); each PF
# netdev's sysfs directory gets a `device` link into it, and /sys/module the simulated modules,
# through overlays.
node_mount_sysfs() {
  mount -t tmpfs -o mode=0755 pci /sys/devices/pci0000:00
  mount -t tmpfs -o mode=0755 pcibus /sys/bus/pci
  mount -t tmpfs -o mode=0755 iommu /sys/class/iommu
  mkdir -p /run/sriov-lab/sysfs/module/upper /run/sriov-lab/sysfs/module/work
  mount -t overlay sysfs-module \
    -o lowerdir=/sys/module,upperdir=/run/sriov-lab/sysfs/module/upper,workdir=/run/sriov-lab/sysfs/module/work /sys/module
  for pf in enp4s0f0 enp4s0f1; do
    i=${pf#enp4s0f}
    up=/run/sriov-lab/sysfs/$pf
    mkdir -p "$up/upper" "$up/work"
    ln -s "../../../pci0000:00/0000:00:03.0/0000:04:00.$i" "$up/upper/device"
    mount -t overlay "sysfs-$pf" -o "lowerdir=/sys/devices/virtual/net/$pf,upperdir=$up/upper,workdir=$up/work" \
      "/sys/devices/virtual/net/$pf"
  done
}

# A UEFI node (LAB_FIRMWARE=uefi): /sys/firmware/efi with the efivar that says the firmware has a
# setup menu (OsIndicationsSupported, EFI_OS_INDICATIONS_BOOT_TO_FW_UI), which GRUB's
# 30_uefi-firmware reads. A BIOS node has no /sys/firmware/efi, like the real one.
node_mount_firmware() {
  [ "${LAB_FIRMWARE:-bios}" = uefi ] || return 0
  mount -t tmpfs -o mode=0755 firmware /sys/firmware
  mkdir -p /sys/firmware/efi/efivars
  # 4 bytes of attributes (NV|BS|RT), then the UINT64 value with bit 0 set.
  printf '\006\000\000\000\001\000\000\000\000\000\000\000' > /sys/firmware/efi/efivars/OsIndicationsSupported-8be4df61-93ca-11d2-aa0d-00e098032b8c
  echo 64 > /sys/firmware/efi/fw_platform_size
}
