# The simulated kernel modules of a node: the NIC's PF and VF drivers (nics.conf: ixgbe/ixgbevf,
# i40e/iavf, ice/iavf, mlx5_core for both); every in-box NIC driver is installed, only the NIC's
# own binds a device. A module file is a text
# file (first line `sriov-lab-module`) with modinfo's fields; the in-box ones live under
# /lib/modules/$(uname -r)/kernel, a driver built from Intel's tarball installs under updates/,
# which depmod prefers. Loaded modules are recorded in $LAB_RUN/modules/NAME.
# Sourced after common.sh and devices.sh.

KREL=$(uname -r)
MODDIR=/lib/modules/$KREL

module_field() { sed -n "s/^$2=//p" "$1"; }

module_is_file() { [ -f "$1" ] && [ "$(head -n1 "$1")" = "sriov-lab-module" ]; }

# Path of module NAME per modules.dep (what depmod last saw), or nothing.
module_path() {
  local name rel
  name=$(echo "$1" | tr - _)
  [ -r "$MODDIR/modules.dep" ] || return 1
  rel=$(sed -n "s|^\(\([^:]*/\)\{0,1\}$name\.ko\):.*|\1|p" "$MODDIR/modules.dep" | head -n1)
  [ -n "$rel" ] && [ -f "$MODDIR/$rel" ] && echo "$MODDIR/$rel"
}

# `options NAME ...` from /etc/modprobe.d, then NAME.param=... from the kernel cmdline.
module_config_params() {
  local w
  cat /etc/modprobe.d/*.conf 2>/dev/null | sed -n "s/^[[:space:]]*options[[:space:]]\{1,\}$1[[:space:]]\{1,\}//p" | tr '\n' ' '
  for w in $(cat /proc/cmdline); do
    case "$w" in "$1".*=*) printf '%s ' "${w#"$1".}" ;; esac
  done
}

module_blacklisted() {
  local w
  cat /etc/modprobe.d/*.conf 2>/dev/null | grep -Eq "^[[:space:]]*blacklist[[:space:]]+$1([[:space:]]|\$)" && return 0
  for w in $(cat /proc/cmdline); do
    case "$w" in modprobe.blacklist=*) echo ",${w#modprobe.blacklist=}," | grep -q ",$1," && return 0 ;; esac
  done
  return 1
}

# Last `max_vfs=` wins, like the kernel's parameter parsing.
param_value() { # NAME PARAMS...
  local key val p
  key=$1
  shift
  val=
  for p in "$@"; do
    case "$p" in "$key"=*) val=${p#"$key"=} ;; esac
  done
  echo "$val"
}

# max_vfs for port $2: the in-box driver has one value for all ports (the lab also accepts a list
# and takes its first value); Intel's out-of-tree driver has one value per port (missing = 0).
ixgbe_port_vfs() { # INTREE PORT MAX_VFS
  local v
  [ -n "$3" ] || { echo 0; return; }
  if [ "$1" = Y ]; then
    v=${3%%,*}
  else
    v=$(echo "$3" | cut -d, -f$(($2 + 1)) -s)
    [ "$2" -eq 0 ] && [ -z "$v" ] && v=$3
  fi
  case "$v" in '' | *[!0-9]*) v=0 ;; esac
  if [ "$v" -gt 63 ]; then
    klog "ixgbe: max_vfs $v out of range 0-63, using 63"
    v=63
  fi
  echo "$v"
}

# The PF driver binds both ports; only a driver with a max_vfs parameter (ixgbe) creates VFs at
# load. Any other driver ignores the parameter, as the kernel does with an unknown one.
pf_probe() { # MODULE-FILE PARAMS...
  local file intree max_vfs i want got name
  file=$1
  shift
  name=$(module_field "$file" name)
  intree=$(module_field "$file" intree)
  max_vfs=$(param_value max_vfs "$@")
  klog "$name: $(module_field "$file" description)${version:+ - version $version}"
  if [ -n "$max_vfs" ] && [ -z "$(module_field "$file" parm)" ]; then
    klog "$name: unknown parameter 'max_vfs' ignored"
    max_vfs=
  fi
  for i in 0 1; do
    driver_bind "$(pf_dir "$i")" "$NIC_pf_driver"
    klog "$NIC_pf_driver $(pf_pci "$i"): $NIC_pf_name ($(pf_name "$i"))"
    want=$(ixgbe_port_vfs "$intree" "$i" "$max_vfs")
    [ "$want" -gt 0 ] || continue
    got=$(vfs_granted "$want")
    if [ "$got" -eq 0 ]; then
      klog "$NIC_pf_driver $(pf_pci "$i"): Failed to enable PCI sriov: -19"
      continue
    fi
    [ "$got" -lt "$want" ] && klog "$NIC_pf_driver $(pf_pci "$i"): $want VFs requested; only $got enabled"
    vfs_enable "$i" "$got"
  done
}

pf_remove() {
  local i
  for i in 0 1; do
    vfs_disable "$i"
    driver_unbind "$(pf_dir "$i")"
  done
}

# modules_load NAME PARAMS|"" [FILE]: what modprobe/insmod do; prints errors like kmod's.
modules_load() {
  local name params file version
  name=$(echo "$1" | tr - _)
  params=$2
  file=${3:-}
  module_loaded "$name" && return 0
  if [ -z "$file" ]; then
    file=$(module_path "$name") || {
      echo "modprobe: FATAL: Module $1 not found in directory $MODDIR" >&2
      return 1
    }
  fi
  if ! module_is_file "$file" || [ "$(module_field "$file" vermagic | cut -d' ' -f1)" != "$KREL" ]; then
    klog "$name: version magic '$(module_field "$file" vermagic)' should be '$KREL SMP mod_unload modversions'"
    echo "modprobe: ERROR: could not insert '$name': Exec format error" >&2
    return 1
  fi
  mkdir -p "$LAB_RUN/modules"
  {
    echo "version=$(module_field "$file" version)"
    echo "path=$file"
    echo "params=$params"
  } > "$LAB_RUN/modules/$name"
  mkdir -p "/sys/module/$name"
  echo live > "/sys/module/$name/initstate"
  version=$(module_field "$file" version)
  [ -z "$version" ] || echo "$version" > "/sys/module/$name/version"
  # shellcheck disable=SC2086 # params are words, like modprobe's
  case "$name" in
    "$NIC_pf_driver") pf_probe "$file" $params ;;
    "$NIC_vf_driver")
      klog "$name: $(module_field "$file" description)${version:+ - version $version}"
      vfs_bind_all
      ;;
  esac
  return 0
}

modules_unload() {
  local name
  name=$(echo "$1" | tr - _)
  module_loaded "$name" || return 1
  case "$name" in
    "$NIC_pf_driver") pf_remove ;;
    "$NIC_vf_driver") vfs_unbind_all ;;
  esac
  rm -f "$LAB_RUN/modules/$name"
  rm -rf "/sys/module/$name"
  klog "$name: module unloaded"
}

# The order depmod resolves duplicates in (Debian's and RHEL's depmod.d both search updates first).
depmod_run() {
  local dir tmp seen sub f n
  dir=/lib/modules/${1:-$KREL}
  [ -d "$dir" ] || { echo "depmod: ERROR: could not open directory $dir: No such file or directory" >&2; return 1; }
  tmp=$dir/modules.dep.tmp
  : > "$tmp"
  seen=" "
  for sub in updates extra kernel; do
    [ -d "$dir/$sub" ] || continue
    for f in $(find "$dir/$sub" -name '*.ko' | sort); do
      module_is_file "$f" || continue
      n=$(basename "$f" .ko)
      case "$seen" in *" $n "*) continue ;; esac
      seen="$seen$n "
      echo "${f#"$dir"/}:" >> "$tmp"
    done
  done
  mv "$tmp" "$dir/modules.dep"
}
