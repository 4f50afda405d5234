#!/bin/sh
# Installs a lab node's "OS" onto its disk, once, like an installer would: run by the lab (in a
# private mount namespace, before the first boot) with the node's disk assembled by
# node_mount_disk. Everything written here lands in the node's overlay upper dirs.
# Environment: LAB_NODE LAB_NODE_INDEX LAB_FLAVOUR LAB_FIRMWARE LAB_NODE_DIR LAB_SRC LAB_SHIM_DIR
#              LAB_AUTHORIZED_KEYS (file) LAB_HOST_KEY (private key file)
set -eu
. "$LAB_SRC/lib/common.sh"
. "$LAB_SRC/lib/mount-root.sh"
host_key=$(cat "$LAB_HOST_KEY")
authorized_keys=$(cat "$LAB_AUTHORIZED_KEYS")
node_mount_disk
node_overlays_mounted || die "install: the node's disk is not mounted over /etc: not installing onto this machine's files"
echo "$LAB_NODE" > "$LAB_NODE_MARKER"
require_node
node_mount_firmware
. "$LAB_LIB/lib/devices.sh"
. "$LAB_LIB/lib/modules.sh"

# --- /etc: a clean node, not the host's configuration --------------------------------------------
require_node || exit 1 # also when this section is run alone
rm -rf /etc/systemd/system
mkdir -p /etc/systemd/system/multi-user.target.wants
for d in /etc/modules-load.d /etc/modprobe.d /etc/sysctl.d /etc/udev/rules.d /usr/lib/sysctl.d /usr/lib/modules-load.d; do
  mkdir -p "$d"
  find "$d" -mindepth 1 -maxdepth 1 ! -name 'README*' -exec rm -rf {} +
done
rm -rf /etc/ssh/sshd_config.d/* /etc/ssh/ssh_host_*
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > /etc/machine-id
echo >> /etc/machine-id
echo "$LAB_NODE" > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$LAB_NODE" > /etc/hosts
rm -f /etc/os-release
uuid=$("$LAB_LIB/bin/grub-probe" --target=fs_uuid /)

# What anaconda leaves on an AlmaLinux node (alma8, alma9): the release files, /etc/default/grub
# (LVM layout: BLS on, GRUB_DEFAULT=saved, the release's GRUB_CMDLINE_LINUX), no grub.d, and the
# root and /boot lines of /etc/fstab.
almalinux_install() { # RELEASE-LINE GRUB_CMDLINE_LINUX
  require_node || exit 1 # also when this function is copied out of this script
  echo "$1" > /etc/almalinux-release
  ln -sf almalinux-release /etc/redhat-release
  ln -sf almalinux-release /etc/system-release
  rm -f /etc/debian_version
  cat > /etc/default/grub << EOF
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="\$(sed 's, release .*\$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="$2"
GRUB_DISABLE_RECOVERY="true"
GRUB_ENABLE_BLSCFG=true
EOF
  rm -rf /etc/default/grub.d
  printf '/dev/mapper/almalinux-root /                       xfs     defaults        0 0\nUUID=%s /boot                   xfs     defaults        0 0\n' "$uuid" > /etc/fstab
}

# EL's names for GRUB's tools (grub2-*, the lab's wrappers over GRUB's own scripts) and grubby.
el_grub_tools() {
  require_node || exit 1 # also when this function is copied out of this script
  for t in update-grub update-grub2 grub-mkconfig grub-reboot grub-set-default; do rm -f "/usr/sbin/$t"; done
  for t in grub2-mkconfig grub2-reboot grub2-set-default; do ln -sf /usr/lib/sriov-lab/bin/grub2 "/usr/sbin/$t"; done
  ln -sf "$LAB_HOSTUSR/bin/grub-editenv" /usr/bin/grub2-editenv
  ln -sf /usr/lib/sriov-lab/bin/grubby /usr/sbin/grubby
}

case "$LAB_FLAVOUR" in
  centos7)
    require_node || exit 1 # also when this branch is run alone, copied out of this script
    cat > /etc/os-release << 'EOF'
NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

EOF
    echo "CentOS Linux release 7.9.2009 (Core)" > /etc/centos-release
    ln -sf centos-release /etc/redhat-release
    ln -sf centos-release /etc/system-release
    rm -f /etc/debian_version
    cat > /etc/default/grub << 'EOF'
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet"
GRUB_DISABLE_RECOVERY="true"
EOF
    # CentOS 7's grub2-mkconfig (upstream GRUB 2.02) reads no /etc/default/grub.d.
    rm -rf /etc/default/grub.d
    printf '/dev/mapper/centos-root /                       xfs     defaults        0 0\nUUID=%s /boot                   xfs     defaults        0 0\n' "$uuid" > /etc/fstab
    grubdir=/boot/grub2
    initrd=/boot/initramfs-$KREL.img
    efi_stub=
    # EPEL 7's LXC 1.0.11 (bin/lxc1 over the machine's LXC 5): its tools, its default config and
    # the centos template's common config in 1.0's keys (after lxc-1.0.11's
    # config/templates/centos.common.conf.in; no clonehostname hook, no seccomp policy here), with
    # the CentOS 7 slow-boot bug (lxc/lxc#622): the common config drops setpcap.
    for t in lxc-create lxc-start lxc-stop lxc-info lxc-attach lxc-ls lxc-destroy lxc-config lxc-autostart lxc-cgroup \
      lxc-wait lxc-freeze lxc-unfreeze lxc-monitor lxc-console; do
      ln -sf /usr/lib/sriov-lab/bin/lxc1 "/usr/bin/$t"
    done
    cat > /usr/share/lxc/config/centos.common.conf << 'EOF'
# Default configuration shared by all CentOS containers (LXC 1.0 keys)
lxc.devttydir = lxc
lxc.tty = 4
lxc.pts = 1024
lxc.mount.auto = proc:mixed sys:ro
lxc.cap.drop = mac_admin mac_override setfcap setpcap
lxc.cap.drop = sys_module sys_nice sys_pacct
lxc.cap.drop = sys_rawio sys_time
lxc.cgroup.devices.deny = a
lxc.cgroup.devices.allow = c *:* m
lxc.cgroup.devices.allow = b *:* m
lxc.cgroup.devices.allow = c 1:3 rwm
lxc.cgroup.devices.allow = c 1:5 rwm
lxc.cgroup.devices.allow = c 1:7 rwm
lxc.cgroup.devices.allow = c 5:0 rwm
lxc.cgroup.devices.allow = c 1:8 rwm
lxc.cgroup.devices.allow = c 1:9 rwm
lxc.cgroup.devices.allow = c 136:* rwm
lxc.cgroup.devices.allow = c 5:2 rwm
EOF
    # CentOS names its GRUB tools grub2-*; GRUB's scripts still call /usr/bin/grub-editenv.
    for t in update-grub update-grub2 grub-mkconfig grub-reboot grub-set-default; do rm -f "/usr/sbin/$t"; done
    for t in grub2-mkconfig grub2-reboot grub2-set-default; do ln -sf /usr/lib/sriov-lab/bin/grub2 "/usr/sbin/$t"; done
    ln -sf "$LAB_HOSTUSR/bin/grub-editenv" /usr/bin/grub2-editenv
    mkconfig=/usr/sbin/grub2-mkconfig
    ;;
  debian12)
    require_node || exit 1 # also when this branch is run alone, copied out of this script
    cat > /etc/os-release << 'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
EOF
    cat > /etc/default/grub << 'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
EOF
    printf 'UUID=%s /               ext4    errors=remount-ro 0       1\n' "$uuid" > /etc/fstab
    grubdir=/boot/grub
    initrd=/boot/initrd.img-$KREL
    efi_stub=/boot/efi/EFI/debian/grub.cfg
    # Debian's lxc package enables lxc.service (autostart of containers at boot).
    ln -sf /usr/lib/systemd/system/lxc.service /etc/systemd/system/multi-user.target.wants/lxc.service
    mkconfig=/usr/sbin/update-grub
    ;;
  alma8)
    require_node || exit 1 # also when this branch is run alone, copied out of this script
    # almalinux-release-8.10 (/etc/os-release as captured on AlmaLinux 8.10 nodes:
    # test/fixtures/parse/os-release-almalinux-8.10.txt).
    cat > /etc/os-release << 'EOF'
NAME="AlmaLinux"
VERSION="8.10 (Cerulean Leopard)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.10"
PLATFORM_ID="platform:el8"
PRETTY_NAME="AlmaLinux 8.10 (Cerulean Leopard)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:8::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-8"
ALMALINUX_MANTISBT_PROJECT_VERSION="8.10"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="8.10"
SUPPORT_END=2029-06-01
EOF
    # EL8's GRUB_CMDLINE_LINUX has crashkernel=auto (as a captured Rocky 8.10 grubenv shows it). No
    # /etc/kernel/cmdline: EL8's anaconda and kernel-install do not write one (grubby 8.40-47+
    # creates it on --update-kernel=ALL).
    almalinux_install "AlmaLinux release 8.10 (Cerulean Leopard)" "crashkernel=auto resume=/dev/mapper/almalinux-swap rd.lvm.lv=almalinux/root rd.lvm.lv=almalinux/swap"
    rm -f /etc/kernel/cmdline
    printf '/dev/mapper/almalinux-swap none                    swap    defaults        0 0\n' >> /etc/fstab
    grubdir=/boot/grub2
    initrd=/boot/initramfs-$KREL.img
    # EL8's grub.d: Debian's 00_header, 40_custom and 41_custom are GRUB's own; 10_linux is EL8's
    # (BLS, kernelopts in grubenv); no Debian theme, no xen, no os-prober.
    for t in 05_debian_theme 10_linux 20_linux_xen 30_os-prober 30_uefi-firmware; do rm -f "/etc/grub.d/$t"; done
    ln -sf /usr/lib/sriov-lab/grub.d/el8-10_linux /etc/grub.d/10_linux
    el_grub_tools
    # The installed kernel's BLS entry as the EL8 kernel package's bls.conf has it (20-grub.install
    # copies it to <machine-id>-<version>.conf): options read grubenv's kernelopts and tuned's
    # tuned_params (a Rocky 8.5 entry, diabloneo.github.io 2022-05-23; the captured RHEL 8.0 entry
    # in test/fixtures/real/bls/ has the same keys).
    mkdir -p /boot/loader/entries
    bls_id="$(cat /etc/machine-id)-$KREL"
    cat > "/boot/loader/entries/$bls_id.conf" << EOF
title AlmaLinux ($KREL) 8.10 (Cerulean Leopard)
version $KREL
linux /vmlinuz-$KREL
initrd /initramfs-$KREL.img \$tuned_initrd
options \$kernelopts \$tuned_params
id almalinux-20240611093014-$KREL
grub_users \$grub_users
grub_arg --unrestricted
grub_class kernel
EOF
    # EL8 keeps grub.cfg and grubenv on the EFI system partition: UEFI is not simulated.
    efi_stub=
    mkconfig=/usr/sbin/grub2-mkconfig
    ;;
  alma9)
    require_node || exit 1 # also when this branch is run alone, copied out of this script
    # almalinux-release-9.4 (AlmaLinux 9.4 installation media, /etc/os-release).
    cat > /etc/os-release << 'EOF'
NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-9"
ALMALINUX_MANTISBT_PROJECT_VERSION="9.4"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
SUPPORT_END=2032-06-01
EOF
    cmdline="crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/almalinux-swap rd.lvm.lv=almalinux/root rd.lvm.lv=almalinux/swap"
    almalinux_install "AlmaLinux release 9.4 (Seafoam Ocelot)" "$cmdline"
    if [ "$LAB_FIRMWARE" = uefi ]; then
      printf 'UUID=3A5C-1F2B          /boot/efi               vfat    umask=0077,shortname=winnt 0 2\n' >> /etc/fstab
    fi
    printf '/dev/mapper/almalinux-swap none                    swap    defaults        0 0\n' >> /etc/fstab
    grubdir=/boot/grub2
    initrd=/boot/initramfs-$KREL.img
    # EL9's grub.d: Debian's 00_header, 40_custom and 41_custom are GRUB's own; 10_linux and
    # 30_uefi-firmware are EL9's (BLS, firmware entry); no Debian theme, no xen.
    for t in 05_debian_theme 10_linux 20_linux_xen 30_os-prober 30_uefi-firmware; do rm -f "/etc/grub.d/$t"; done
    ln -sf /usr/lib/sriov-lab/grub.d/el9-10_linux /etc/grub.d/10_linux
    ln -sf /usr/lib/sriov-lab/grub.d/el9-30_uefi-firmware /etc/grub.d/30_uefi-firmware
    el_grub_tools
    # What kernel-install (20-grub.install) writes for the installed kernel: /etc/kernel/cmdline
    # (anaconda's), and its BLS entry named <machine-id>-<version>.conf.
    mkdir -p /etc/kernel /boot/loader/entries
    echo "root=/dev/mapper/almalinux-root ro $cmdline" > /etc/kernel/cmdline
    bls_id="$(cat /etc/machine-id)-$KREL"
    cat > "/boot/loader/entries/$bls_id.conf" << EOF
title AlmaLinux ($KREL) 9.4 (Seafoam Ocelot)
version $KREL
linux /vmlinuz-$KREL
initrd /initramfs-$KREL.img \$tuned_initrd
options root=/dev/mapper/almalinux-root ro $cmdline
grub_users \$grub_users
grub_arg --unrestricted
grub_class almalinux
EOF
    efi_stub=/boot/efi/EFI/almalinux/grub.cfg
    mkconfig=/usr/sbin/grub2-mkconfig
    ;;
  ubuntu2404)
    require_node || exit 1 # also when this branch is run alone, copied out of this script
    # base-files 13ubuntu10 (Ubuntu 24.04.1 LTS, /usr/lib/os-release).
    cat > /etc/os-release << 'EOF'
PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
EOF
    echo "trixie/sid" > /etc/debian_version
    # grub2-common 2.12-1ubuntu7's /etc/default/grub.
    cat > /etc/default/grub << 'EOF'
# If you change this file or any /etc/default/grub.d/*.cfg file,
# run 'update-grub' afterwards to update /boot/grub/grub.cfg.
# For full documentation of the options in these files, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT_STYLE=hidden
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=`( . /etc/os-release; echo ${NAME:-Ubuntu} ) 2>/dev/null || echo Ubuntu`
GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
GRUB_CMDLINE_LINUX=""
EOF
    # The cloud image's drop-in (livecd-rootfs, ubuntu-cpc hooks; noble server cloud images).
    mkdir -p /etc/default/grub.d
    find /etc/default/grub.d -mindepth 1 -delete
    cat > /etc/default/grub.d/50-cloudimg-settings.cfg << 'EOF'
# Cloud Image specific Grub settings for Generic Cloud Images
# CLOUD_IMG: This file was created/modified by the Cloud Image build process

# Set the recordfail timeout
GRUB_RECORDFAIL_TIMEOUT=0

# Do not wait on grub prompt
GRUB_TIMEOUT=0

# Set the default commandline
GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"

# Set the grub console type
GRUB_TERMINAL=console
EOF
    printf 'LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,commit=30,errors=remount-ro\t0 1\n' > /etc/fstab
    if [ "$LAB_FIRMWARE" = uefi ]; then printf 'LABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n' >> /etc/fstab; fi
    grubdir=/boot/grub
    initrd=/boot/initrd.img-$KREL
    # Ubuntu's lxc package enables lxc.service like Debian's.
    ln -sf /usr/lib/systemd/system/lxc.service /etc/systemd/system/multi-user.target.wants/lxc.service
    efi_stub=/boot/efi/EFI/ubuntu/grub.cfg
    mkconfig=/usr/sbin/update-grub
    ;;
  *) die "unknown flavour $LAB_FLAVOUR" ;;
esac

cat > /etc/ssh/sshd_config << 'EOF'
# sriov-lxc lab node
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 64
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
(umask 077 && printf '%s\n' "$host_key" > /etc/ssh/ssh_host_ed25519_key)
ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key > /etc/ssh/ssh_host_ed25519_key.pub
echo /run/sriov-lab/lib/sriov-numvfs.so > /etc/ld.so.preload
# CentOS 7's loader (glibc 2.17) and kernel 3.10's /proc/mounts: node/shim/el7.c
[ "$LAB_FLAVOUR" != centos7 ] || echo /run/sriov-lab/lib/el7.so >> /etc/ld.so.preload
mkdir -p /etc/lxc
if [ "$LAB_FLAVOUR" = centos7 ]; then echo "lxc.network.type = empty" > /etc/lxc/default.conf; else echo "lxc.net.0.type = empty" > /etc/lxc/default.conf; fi

# --- /usr: the simulated hardware's tools in their usual places ----------------------------------
require_node || exit 1 # also when this section is run alone
ln -sf /usr/lib/sriov-lab/bin/lspci /usr/bin/lspci
ln -sf /usr/lib/sriov-lab/bin/ip /usr/bin/ip
# tc and findmnt answer as the flavour's releases (lib/flavour-tools.sh)
ln -sf /usr/lib/sriov-lab/bin/tc /usr/sbin/tc
ln -sf /usr/lib/sriov-lab/bin/findmnt /usr/bin/findmnt
# glibc's version as ldd and getconf report it (lib/flavour-tools.sh)
ln -sf /usr/lib/sriov-lab/bin/ldd /usr/bin/ldd
ln -sf /usr/lib/sriov-lab/bin/getconf /usr/bin/getconf
for t in modprobe rmmod insmod lsmod modinfo depmod; do ln -sf /usr/lib/sriov-lab/bin/kmod "/usr/sbin/$t"; done
ln -sf /usr/lib/sriov-lab/bin/dmesg /usr/bin/dmesg
ln -sf /usr/lib/sriov-lab/bin/systemctl /usr/bin/systemctl
for t in reboot shutdown poweroff halt; do ln -sf /usr/lib/sriov-lab/bin/power "/usr/sbin/$t"; done
ln -sf /usr/lib/sriov-lab/bin/grub-probe /usr/sbin/grub-probe
ln -sf /usr/lib/sriov-lab/bin/grub-mkrelpath /usr/bin/grub-mkrelpath
for t in lxc-centos lxc-debian lxc-ubuntu; do ln -sf /usr/lib/sriov-lab/lxc/lxc-sriov-lab "/usr/share/lxc/templates/$t"; done
. "$LAB_LIB/lib/busybox-cache.sh"
# The image comes with the template's rootfs cached (the template makes it when missing).
busybox_cache "$(command -v busybox)" || die "install: cannot cache the LXC template's busybox tree"

# In-box drivers (every NIC model's, as a distribution kernel ships them) and kernel headers for
# out-of-tree builds.
inbox() { # NAME VERSION DESCRIPTION PARM VENDOR
  case "$5" in
    15b3) dir=$MODDIR/kernel/drivers/net/ethernet/mellanox/mlx5/core ;;
    *) dir=$MODDIR/kernel/drivers/net/ethernet/intel/$1 ;;
  esac
  [ -e "$dir/$1.ko" ] && return 0
  mkdir -p "$dir"
  {
    echo "sriov-lab-module"
    echo "name=$1"
    [ -z "$2" ] || echo "version=$2"
    echo "license=$([ "$5" = 15b3 ] && echo 'Dual BSD/GPL' || echo 'GPL v2')"
    echo "description=$3"
    [ "$5" = 15b3 ] && echo "author=Eli Cohen <eli@mellanox.com>" || echo "author=Intel Corporation, <linux.nics@intel.com>"
    echo "intree=Y"
    echo "vermagic=$KREL SMP mod_unload modversions"
    [ -z "$4" ] || echo "parm=$4"
  } > "$dir/$1.ko"
}
for model in $(sed -n 's/^\[\(.*\)\]$/\1/p' "$LAB_LIB/nics.conf"); do
  (
    LAB_NIC=$model
    . "$LAB_LIB/lib/common.sh"
    inbox "$NIC_pf_driver" "$NIC_pf_version" "$NIC_pf_desc" "$NIC_pf_parm" "$NIC_vendor"
    inbox "$NIC_vf_driver" "$NIC_vf_version" "$NIC_vf_desc" "" "$NIC_vendor"
  )
done
# The ConnectX's firmware tool (Debian/EPEL package mstflint), on nodes that carry one.
if [ "$NIC_firmware" = mstconfig ]; then ln -sf /usr/lib/sriov-lab/bin/mstconfig /usr/bin/mstconfig; fi
mkdir -p "/usr/src/linux-headers-$KREL"
ln -sf /usr/lib/sriov-lab/kbuild/Makefile "/usr/src/linux-headers-$KREL/Makefile"
ln -sfn "/usr/src/linux-headers-$KREL" "$MODDIR/build"
depmod_run

# --- /boot: a kernel, an initramfs and GRUB's configuration ----------------------------------------
require_node || exit 1 # also when this section is run alone
echo "sriov-lxc lab kernel image $KREL" > "/boot/vmlinuz-$KREL"
echo "sriov-lxc lab initramfs $KREL" > "$initrd"
mkdir -p "$grubdir"
# GRUB's scripts read the default environment block (`grub-editenv -`) from /boot/grub.
[ "$grubdir" = /boot/grub ] || ln -sfn grub2 /boot/grub
"$LAB_HOSTUSR/bin/grub-editenv" "$grubdir/grubenv" create
# A UEFI node: the EFI system partition's stub that sends GRUB to the grub.cfg in /boot (EL9
# since 9.0 and Ubuntu both keep the real one there), and a Windows Boot Manager found by os-prober.
if [ "$LAB_FIRMWARE" = uefi ]; then
  # EL7 keeps the real grub.cfg on the ESP itself: not simulated.
  [ -n "$efi_stub" ] || die "$LAB_FLAVOUR nodes boot with BIOS only in the lab"
  ln -sf /usr/lib/sriov-lab/grub.d/uefi-os-prober /etc/grub.d/30_os-prober
  mkdir -p "${efi_stub%/*}"
  case "$LAB_FLAVOUR" in
    alma9) printf 'search --no-floppy --fs-uuid --set=dev %s\nset prefix=($dev)/grub2\n\nexport $prefix\nconfigfile $prefix/grub.cfg\n' "$uuid" > "$efi_stub" ;;
    *) printf "search.fs_uuid %s root hd0,gpt1 \nset prefix=(\$root)'/boot/grub'\nconfigfile \$prefix/grub.cfg\n" "$uuid" > "$efi_stub" ;;
  esac
fi
case "$LAB_FLAVOUR" in
  centos7 | alma8 | alma9) "$mkconfig" -o "$grubdir/grub.cfg" 2> /dev/null ;;
  *) "$mkconfig" 2> /dev/null ;;
esac
# The installer makes the installed kernel's BLS entry the saved default (grub2-set-default).
case "$LAB_FLAVOUR" in alma8 | alma9) /usr/sbin/grub2-set-default "$bls_id" ;; esac

# --- /root, /srv ---------------------------------------------------------------------------------
require_node || exit 1 # also when this section is run alone
chmod 700 /root
printf '# ~/.bashrc of a lab node\n' > /root/.bashrc
printf '[ -n "$BASH" ] && [ -f ~/.bashrc ] && . ~/.bashrc\n' > /root/.profile
mkdir -p /root/.ssh
chmod 700 /root/.ssh
(umask 077 && printf '%s\n' "$authorized_keys" > /root/.ssh/authorized_keys)
mkdir -p /srv/bench
