# Shared by every node-side lab script (sourced, POSIX sh). Inside a booted node the environment
# comes from /run/sriov-lab/node.env, written by init at boot.

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
fault_arg() { cat "$LAB_FW/faults/$1" 2>/dev/null; }

# 82599 numbering: VFs of both ports interleave from 04:10.0 (offset 128, stride 2).
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
vf_pci() {
  local n
  n=$((2 * $2 + $1))
  printf '0000:04:%02x.%d\n' $((16 + n / 8)) $((n % 8))
}
# The names udev gives 82599 VFs on bus 4, like the paper's enp4s16, enp4s16f1, ...
vf_ifname() {
  local n
  n=$((2 * $2 + $1))
  if [ $((n % 8)) -eq 0 ]; then echo "enp4s$((16 + n / 8))"; else echo "enp4s$((16 + n / 8))f$((n % 8))"; fi
}
vf_dir() { echo "$PCI_PORT/$(vf_pci "$1" "$2")"; }

# Per-boot state of the simulated devices.
pf_state() { echo "$LAB_RUN/pf/$1"; }
numvfs() { cat "$(pf_state "$1")/numvfs" 2>/dev/null || echo 0; }
totalvfs() { if fault_on sriov-disabled; then echo 0; else echo 64; fi; }
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
