# Shared by every node-side lab script (sourced, POSIX sh). Inside a booted node the environment
# comes from /run/sriov-lab/node.env, written by init at boot.

# First: on a node's own mounts, or stop (init and install: before their mounts, from LAB_SRC).
. "${LAB_SRC:-/usr/lib/sriov-lab}/lib/node-guard.sh"

# The lab's own scripts write the fake sysfs directly: run them without the sriov_numvfs shim
# (it reads LAB_SHIM_OFF when a process starts). Programs they start for the user unset it again.
[ -n "${LAB_SHIM_OFF:-}" ] || exec env LAB_SHIM_OFF=1 "$0" "$@"

LAB_RUN=/run/sriov-lab
if [ -z "${LAB_NODE:-}" ] && [ -r "$LAB_RUN/node.env" ]; then
  . "$LAB_RUN/node.env"
fi
LAB_LIB=${LAB_LIB:-/usr/lib/sriov-lab}
LAB_FW=$LAB_RUN/firmware
LAB_HOSTUSR=$LAB_RUN/host-usr
REAL_IP=$LAB_HOSTUSR/bin/ip
PCI_ROOT=/sys/devices/pci0000:00
PCI_PORT=$PCI_ROOT/0000:00:03.0
PFS="enp4s0f0 enp4s0f1"

die() { echo "$*" >&2; exit 1; }

# Kernel log of the simulated hardware: `dmesg` prints it.
klog() {
  local up
  up=$(cut -d' ' -f1 /proc/uptime)
  printf '[%12.6f] %s\n' "$up" "$*" >> "$LAB_RUN/kmsg"
}

fault_on() { [ -e "$LAB_FW/faults/$1" ]; }
fault_arg() { cat "$LAB_FW/faults/$1" 2>/dev/null || :; }

# The node's NIC model (lab.ts up --nic): every NIC-specific fact is a NIC_<key> variable read
# from nics.conf (one section per model). init writes them into node.env at boot: a script that
# reads node.env (one started over SSH) has them without an awk of its own (a process per call of
# a shim, ~130 per node per provisioning).
nic_settings() {
  awk -v section="[$LAB_NIC]" '
  /^\[/ { on = ($0 == section); next }
  on && /^[a-z_0-9]+=/ { k = $0; sub(/=.*/, "", k); v = substr($0, length(k) + 2); print "NIC_" k "='\''" v "'\''" }
  END { print "NIC_model='\''" substr(section, 2, length(section) - 2) "'\''" }
' "${LAB_SRC:-$LAB_LIB}/nics.conf"
}
LAB_NIC=${LAB_NIC:-82599}
# Read again for another model (install.sh makes every model's in-box drivers this way).
[ "${NIC_model:-}" = "$LAB_NIC" ] || eval "$(nic_settings)"
[ -n "${NIC_pf_driver:-}" ] || die "unknown NIC model $LAB_NIC (see nics.conf)"

# Firmware settings of a NIC whose SR-IOV is gated by its firmware (ConnectX: mstconfig), as the
# card holds them: "current" (loaded at the last power-on/boot) and "next" (applied at the next).
fw_value() { # current|next KEY
  sed -n "s/^$2=//p" "$LAB_FW/nic/$1" 2>/dev/null | tail -n1
}
# Whether the PF shows an SR-IOV capability at all (a ConnectX with SRIOV_EN=0 has none).
sriov_capable() {
  [ -n "$NIC_firmware" ] || return 0
  [ "$(fw_value current SRIOV_EN)" = 1 ]
}
# TotalVFs of the SR-IOV capability (lspci) and sriov_totalvfs (sysfs; a driver may lower it).
cap_totalvfs() {
  if [ "$NIC_cap_totalvfs" = firmware ]; then fw_value current NUM_OF_VFS; else echo "$NIC_cap_totalvfs"; fi
}
totalvfs() {
  if fault_on sriov-disabled || ! sriov_capable; then echo 0
  elif [ "$NIC_totalvfs" = firmware ]; then fw_value current NUM_OF_VFS
  else echo "$NIC_totalvfs"; fi
}

# PCI numbering: the PFs are 04:00.0 and 04:00.1; VF i of port p has routing id
# PF + First VF Offset + i * stride (PCIe SR-IOV), First VF Offset per nics.conf's layout.
pf_index() {
  case "$1" in
    enp4s0f0) echo 0 ;;
    enp4s0f1) echo 1 ;;
    *) return 1 ;;
  esac
}
pf_name() { echo "enp4s0f$1"; }
pf_pci() { echo "0000:04:00.$1"; }
pf_dir() { echo "$PCI_PORT/$(pf_pci "$1")"; }
vf_offset() { # PORT
  if [ "$NIC_layout" = interleaved ] || [ "$1" -eq 0 ]; then echo "$NIC_offset"; else echo $((NIC_offset + $(cap_totalvfs) - 1)); fi
}
vf_rid() { echo $((0x400 + $1 + $(vf_offset "$1") + $2 * NIC_stride)); }
vf_pci() {
  local rid
  rid=$(vf_rid "$1" "$2")
  printf '0000:%02x:%02x.%d\n' $((rid >> 8)) $(((rid & 0xff) >> 3)) $((rid & 7))
}
# The names udev gives VFs (path policy, like the paper's enp4s16, enp4s16f1, ...).
vf_ifname() {
  local rid fn
  rid=$(vf_rid "$1" "$2")
  fn=$((rid & 7))
  if [ "$fn" -eq 0 ]; then echo "enp$((rid >> 8))s$(((rid & 0xff) >> 3))"; else echo "enp$((rid >> 8))s$(((rid & 0xff) >> 3))f$fn"; fi
}
vf_dir() { echo "$PCI_PORT/$(vf_pci "$1" "$2")"; }

# Per-boot state of the simulated devices.
pf_state() { echo "$LAB_RUN/pf/$1"; }
numvfs() { cat "$(pf_state "$1")/numvfs" 2>/dev/null || echo 0; }
module_loaded() { [ -e "$LAB_RUN/modules/$1" ]; }

# A locally administered unicast MAC: deterministic per node/port/VF, or random (fault random-vf-macs).
vf_default_mac() {
  if fault_on random-vf-macs; then
    set -- $(od -An -N5 -tx1 /dev/urandom)
    printf '%02x:%s:%s:%s:%s:%s\n' $(((0x$(od -An -N1 -tx1 /dev/urandom | tr -d ' ') & 0xfc) | 0x02)) "$1" "$2" "$3" "$4" "$5"
  else
    printf '02:09:c0:%02x:%02x:%02x\n' "$LAB_NODE_INDEX" "$1" "$2"
  fi
}

valid_mac() {
  echo "$1" | grep -Eq '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$'
}
