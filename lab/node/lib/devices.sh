# The simulated PCI hardware of a node: a dual-port SR-IOV NIC (the model of nics.conf named by
# LAB_NIC: 82599, X710, E810 or ConnectX-5) behind a root port, in a tmpfs sysfs tree shaped like
# the kernel's. VF netdevs are macvlans on the PF veth. Sourced after common.sh.

pci_write() { printf '%s\n' "$2" > "$1"; }

# pci_device DIR VENDOR DEVICE CLASS REVISION SUBSYS_DEVICE
pci_device() {
  local addr
  mkdir -p "$1"
  pci_write "$1/vendor" "0x$2"
  pci_write "$1/subsystem_vendor" "0x$2"
  pci_write "$1/device" "0x$3"
  pci_write "$1/class" "0x$4"
  pci_write "$1/revision" "0x$5"
  pci_write "$1/subsystem_device" "0x$6"
  pci_write "$1/numa_node" "0"
  pci_write "$1/enable" "1"
  addr=${1##*/}
  ln -sfn "../../../devices/pci0000:00/${1#"$PCI_ROOT"/}" "/sys/bus/pci/devices/$addr"
}

pci_tree_init() {
  local i d
  mkdir -p /sys/bus/pci/devices /sys/bus/pci/drivers
  pci_device "$PCI_ROOT/0000:00:00.0" 8086 2f00 060000 02 0000
  pci_device "$PCI_PORT" 8086 2f08 060400 02 0000
  pci_device "$PCI_ROOT/0000:00:1f.2" 8086 8d02 010601 05 0000
  for i in 0 1; do
    d=$(pf_dir "$i")
    pci_device "$d" "$NIC_vendor" "$NIC_pf_device" 020000 "$NIC_pf_rev" "$NIC_subsys_device"
    pci_sriov_attrs "$i"
    mkdir -p "$d/net"
    ln -sfn "/sys/devices/virtual/net/$(pf_name "$i")" "$d/net/$(pf_name "$i")"
    mkdir -p "$(pf_state "$(pf_name "$i")")"
  done
}

# The SR-IOV attributes of PF index $1, present only while the device has the capability (a
# ConnectX with SR-IOV off in its firmware has none).
pci_sriov_attrs() {
  local d
  d=$(pf_dir "$1")
  if ! sriov_capable; then
    rm -f "$d/sriov_totalvfs" "$d/sriov_numvfs" "$d/sriov_offset" "$d/sriov_stride" "$d/sriov_vf_device" "$d/sriov_drivers_autoprobe"
    return 0
  fi
  pci_write "$d/sriov_totalvfs" "$(totalvfs)"
  [ -e "$d/sriov_numvfs" ] || pci_write "$d/sriov_numvfs" 0
  pci_write "$d/sriov_offset" "$(vf_offset "$1")"
  pci_write "$d/sriov_stride" "$NIC_stride"
  pci_write "$d/sriov_vf_device" "$NIC_vf_device"
  pci_write "$d/sriov_drivers_autoprobe" 1
}

# The NIC's firmware loads its stored settings at power-on: what mstconfig set for the next boot
# becomes current (see bin/mstconfig).
nic_firmware_boot() {
  [ -n "$NIC_firmware" ] || return 0
  mkdir -p "$LAB_FW/nic"
  [ -e "$LAB_FW/nic/next" ] || printf 'SRIOV_EN=0\nNUM_OF_VFS=0\n' > "$LAB_FW/nic/next"
  cp "$LAB_FW/nic/next" "$LAB_FW/nic/current"
}

# VT-d: the kernel registers its IOMMU (dmar0) when the cmdline turns it on (intel_iommu=on[,...]).
iommu_init() {
  local w iommu=off pt=
  for w in $(cat /proc/cmdline); do
    case "$w" in
      intel_iommu=*)
        case ",${w#intel_iommu=}," in
          *,on,*) iommu=on ;;
          *,off,*) iommu=off ;;
        esac
        ;;
      iommu=pt) pt=1 ;;
    esac
  done
  if [ "$iommu" = on ]; then
    ln -s ../../devices/virtual/iommu/dmar0 /sys/class/iommu/dmar0
    klog "DMAR: IOMMU enabled"
    [ -n "$pt" ] && klog "iommu: Default domain type: Passthrough (set via kernel command line)"
  fi
  return 0
}

# The firmware settings that act at once (the lab's `fault` command calls this through the node).
pci_firmware_refresh() {
  local i
  for i in 0 1; do pci_sriov_attrs "$i"; done
}

driver_bind() { # ADDR-DIR DRIVER
  mkdir -p "/sys/bus/pci/drivers/$2"
  ln -sfn "../../../../bus/pci/drivers/$2" "$1/driver"
  ln -sfn "../../../../devices/pci0000:00/${1#"$PCI_ROOT"/}" "/sys/bus/pci/drivers/$2/${1##*/}"
}

driver_unbind() { # ADDR-DIR
  local drv
  drv=$(readlink "$1/driver" 2>/dev/null) || return 0
  rm -f "$1/driver" "/sys/bus/pci/drivers/${drv##*/}/${1##*/}"
}

# The ifindex of a PF in the node's namespace, for finding its VFs after LXC moved them away.
ifindex_of() { cat "/sys/class/net/$1/ifindex" 2>/dev/null; }

# Deletes every VF netdev of PF index $1: in the node, and inside any container that owns one (in
# a container a VF shows as NAME@ifN with link-netnsid, N being the PF's ifindex in the node).
vf_netdevs_destroy() {
  local pf pfidx self seen ns id vf dev
  pf=$(pf_name "$1")
  pfidx=$(ifindex_of "$pf")
  self=$(readlink /proc/self/ns/net)
  $REAL_IP -o link show type macvlan 2>/dev/null | sed -n "s/^[0-9]*: \([^@:]*\)@$pf:.*/\1/p" |
    while read -r dev; do $REAL_IP link del "$dev" || :; done
  seen=" $self "
  for ns in /proc/[0-9]*/ns/net; do
    id=$(readlink "$ns" 2>/dev/null) || continue
    case "$seen" in *" $id "*) continue ;; esac
    seen="$seen $id "
    nsenter --net="$ns" "$REAL_IP" -o link show type macvlan 2>/dev/null |
      grep 'link-netnsid' | sed -n "s/^[0-9]*: \([^@:]*\)@if$pfidx:.*/\1/p" |
      while read -r dev; do nsenter --net="$ns" "$REAL_IP" link del "$dev" || :; done
  done
  for vf in "$(pf_state "$pf")"/vf/*; do
    [ -d "$vf" ] && rm -f "$vf/netdev"
  done
  return 0
}

# The VF driver binds VF $2 of PF index $1: its netdev appears (DOWN), with the PF-assigned MAC if one was
# set, otherwise a MAC of its own (a new random one at every load under random-vf-macs).
vf_bind() {
  local st dev mac d
  st=$(pf_state "$(pf_name "$1")")/vf/$2
  dev=$(vf_ifname "$1" "$2")
  if [ -e "$st/admin" ]; then mac=$(cat "$st/mac"); else mac=$(vf_default_mac "$1" "$2"); fi
  echo "$mac" > "$st/mac"
  $REAL_IP link add link "$(pf_name "$1")" name "$dev" address "$mac" type macvlan mode bridge || return 1
  echo "$dev" > "$st/netdev"
  d=$(vf_dir "$1" "$2")
  mkdir -p "$d/net"
  ln -sfn "/sys/devices/virtual/net/$dev" "$d/net/$dev"
  driver_bind "$d" "$NIC_vf_driver"
}

vfs_bind_all() {
  local i n v
  for i in 0 1; do
    n=$(numvfs "$(pf_name "$i")")
    v=0
    while [ "$v" -lt "$n" ]; do
      # A VF whose probe fails stays without a netdev; the others bind (the kernel's probe per device).
      [ -e "$(pf_state "$(pf_name "$i")")/vf/$v/netdev" ] || vf_bind "$i" "$v" || klog "$NIC_vf_driver: probe of $(vf_pci "$i" "$v") failed with error -17"
      v=$((v + 1))
    done
  done
}

vfs_unbind_all() {
  local i d
  for i in 0 1; do
    vf_netdevs_destroy "$i"
    for d in "$(pf_dir "$i")"/virtfn*; do
      [ -e "$d" ] || continue
      d=$PCI_PORT/$(basename "$(readlink "$d")")
      driver_unbind "$d"
      rm -rf "$d/net"
    done
  done
}

# Creates the VF functions of PF index $1 (the count is already capped); the VF driver binds them
# when loaded, and udev loads it unless blacklisted (mlx5_core, the PF's own driver, binds at once).
vfs_enable() {
  local pf st v d
  pf=$(pf_name "$1")
  st=$(pf_state "$pf")
  v=0
  while [ "$v" -lt "$2" ]; do
    d=$(vf_dir "$1" "$v")
    pci_device "$d" "$NIC_vendor" "$NIC_vf_device" 020000 "$NIC_vf_rev" "$NIC_subsys_device"
    ln -sfn "../$(pf_pci "$1")" "$d/physfn"
    ln -sfn "../$(vf_pci "$1" "$v")" "$(pf_dir "$1")/virtfn$v"
    mkdir -p "$st/vf/$v"
    vf_default_mac "$1" "$v" > "$st/vf/$v/mac"
    v=$((v + 1))
  done
  echo "$2" > "$st/numvfs"
  pci_write "$(pf_dir "$1")/sriov_numvfs" "$2"
  klog "$NIC_pf_driver $(pf_pci "$1"): SR-IOV enabled with $2 VFs"
  if [ "$2" -gt 0 ]; then
    if module_loaded "$NIC_vf_driver"; then
      vfs_bind_all
    elif ! module_blacklisted "$NIC_vf_driver"; then
      # udev's load of the VF driver: its failure is udev's, not the sriov_numvfs write's.
      modules_load "$NIC_vf_driver" "" || :
    fi
  fi
}

vfs_disable() {
  local pf st n v d
  pf=$(pf_name "$1")
  st=$(pf_state "$pf")
  vf_netdevs_destroy "$1"
  n=$(numvfs "$pf")
  v=0
  while [ "$v" -lt "$n" ]; do
    d=$(vf_dir "$1" "$v")
    driver_unbind "$d"
    rm -rf "$d" "/sys/bus/pci/devices/${d##*/}" "$(pf_dir "$1")/virtfn$v"
    v=$((v + 1))
  done
  rm -rf "$st/vf"
  echo 0 > "$st/numvfs"
  pci_write "$(pf_dir "$1")/sriov_numvfs" 0
  [ "$n" -gt 0 ] && klog "$NIC_pf_driver $(pf_pci "$1"): SR-IOV disabled"
  return 0
}

# How many VFs the hardware grants when N are asked: capped by sriov_totalvfs and by the fault
# short-vfs (its argument, default 2).
vfs_granted() {
  local total n cap
  total=$(totalvfs)
  n=$1
  [ "$n" -gt "$total" ] && n=$total
  if fault_on short-vfs; then
    cap=$(fault_arg short-vfs)
    cap=${cap:-2}
    [ "$n" -gt "$cap" ] && n=$cap
  fi
  echo "$n"
}
