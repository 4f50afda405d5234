# Where the lab's lxc-centos can get its packages in 2026, and how the real lxc-centos fails elsewhere.
# Sourced by lxc/lxc-sriov-lab when it runs as lxc-centos.
#
# The real template (LXC tag lxc-1.0.11 templates/lxc-centos.in, EPEL 7's; lxc-templates'
# templates/lxc-centos.in is the same code) writes a yum repo file for the install root:
# baseurl=$repo with --repo, else mirrorlist=http://mirrorlist.centos.org/?release=R&arch=x86_64&repo=os.
# mirrorlist.centos.org no longer resolves since CentOS 7's end of life (2024-06-30), so without
# --repo `yum install` fails; download_centos then goes on (release 7's /var/run lines reset $?),
# finds no rpm in the install root, tries "Reinstalling packages ..." with the install root's own
# yum, which is not there, and prints "Failed to download the rootfs, aborting."; install_centos
# adds "Failed to download 'CentOS base'", the main script "failed to install CentOS" and exit 1.
# The order of those lines is the one captured on a real host in lxc/lxc#3162 (CentOS 8, dnf).
# yum 3.4.3's mirrorlist error as a CentOS 7 machine printed it after the switch-off:
# Jalle19/satip-axe#87; dnf's: dam90/astrometry#23.
#
# The repos the lab serves (it is offline: these stand for the real trees, which still answer):
#   release 7: the CentOS vault, vault.centos.org/7.N.NNNN/os/x86_64/ (or /centos/7/os/x86_64/)
#   release 8: AlmaLinux 8's BaseOS, repo.almalinux.org/almalinux/8/BaseOS/x86_64/os/
#   release 9: AlmaLinux 9's BaseOS, repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/
# Any other --repo does not answer in the lab, as a mirror the node cannot reach.

centos_repo_served() { # RELEASE REPO
  case "$1|${2%/}" in
    7\|http://vault.centos.org/7.[0-9]*.[0-9]*/os/x86_64 | 7\|https://vault.centos.org/7.[0-9]*.[0-9]*/os/x86_64) return 0 ;;
    7\|http://vault.centos.org/centos/7/os/x86_64 | 7\|https://vault.centos.org/centos/7/os/x86_64) return 0 ;;
    8\|http://repo.almalinux.org/almalinux/8/BaseOS/x86_64/os | 8\|https://repo.almalinux.org/almalinux/8/BaseOS/x86_64/os) return 0 ;;
    9\|http://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os | 9\|https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os) return 0 ;;
  esac
  return 1
}

# What the real template prints when its package manager cannot reach the repo; exits 1.
centos_download_fails() { # RELEASE REPO
  release=$1 repo=$2
  cache=/var/cache/lxc/centos/x86_64/$release
  root=$cache/partial
  cpe=$(sed -n 's/^CPE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2> /dev/null)
  echo "Host CPE ID from /etc/os-release: $cpe"
  echo "Checking cache download in $cache/rootfs ... "
  echo "Downloading CentOS minimal ..."
  if [ -n "$repo" ]; then
    host=$(printf '%s\n' "$repo" | sed 's|^[a-z]*://||; s|[/:].*||')
    url=${repo%/}/repodata/repomd.xml
  else
    host=mirrorlist.centos.org
    url="http://mirrorlist.centos.org/?release=$release&arch=x86_64&repo=os"
  fi
  if [ "$LAB_FLAVOUR" = centos7 ]; then
    # yum 3.4.3 (CentOS 7.9)
    echo "Loaded plugins: fastestmirror"
    if [ -n "$repo" ]; then
      echo "$url: [Errno 14] curl#6 - \"Could not resolve host: $host; Unknown error\"" >&2
      echo "Trying other mirror." >&2
    else
      echo "Determining fastest mirrors"
      echo "Could not retrieve mirrorlist $url error was" >&2
      echo "14: curl#6 - \"Could not resolve host: $host; Unknown error\"" >&2
    fi
    name="CentOS-$release - Base"
    [ -z "$repo" ] || name="local repository"
    cat >&2 << EOF


 One of the configured repositories failed ($name),
 and yum doesn't have enough cached data to continue. At this point the only
 safe thing yum can do is fail. There are a few ways to work "fix" this:

     1. Contact the upstream for the repository and get them to fix the problem.

     2. Reconfigure the baseurl/etc. for the repository, to point to a working
        upstream. This is most often useful if you are using a newer
        distribution release than is supported by the repository (and the
        packages for the previous distribution release still work).

     3. Run the command with the repository temporarily disabled
            yum --disablerepo=base ...

     4. Disable the repository permanently, so yum won't use it by default. Yum
        will then just ignore the repository until you permanently enable it
        again or use --enablerepo for temporary usage:

            yum-config-manager --disable base
        or
            subscription-manager repos --disable=base

     5. Configure the failing repository to be skipped, if it is unavailable.
        Note that yum will try to contact the repo. when it runs most commands,
        so will have to try and fail each time (and thus. yum will be be much
        slower). If it is a very temporary problem though, this is often a nice
        compromise:

            yum-config-manager --save --setopt=base.skip_if_unavailable=true

EOF
    if [ -n "$repo" ]; then
      echo "failure: repodata/repomd.xml from base: [Errno 256] No more mirrors to try." >&2
      echo "$url: [Errno 14] curl#6 - \"Could not resolve host: $host; Unknown error\"" >&2
    else
      echo "Cannot find a valid baseurl for repo: base/$release/x86_64" >&2
    fi
  else
    # dnf 4 (EL 8/9): "yum" is dnf
    echo "Unable to detect release version (use '--releasever' to specify release version)" >&2
    echo "Errors during downloading metadata for repository 'base':" >&2
    echo "  - Curl error (6): Couldn't resolve host name for $url [Could not resolve host: $host]" >&2
    what="Cannot download repomd.xml"
    [ -n "$repo" ] || what="Cannot prepare internal mirrorlist"
    echo "Error: Failed to download metadata for repo 'base': $what: Curl error (6): Couldn't resolve host name for $url [Could not resolve host: $host]" >&2
  fi
  if [ "$release" = 7 ]; then
    echo "mv: cannot stat '$root/var/run/*': No such file or directory" >&2
    echo "rmdir: failed to remove '$root/var/run': No such file or directory" >&2
  fi
  echo "Reinstalling packages ..."
  echo "mv: cannot stat '$root/etc/yum.repos.d/*.repo': No such file or directory" >&2
  echo "chroot: failed to run command 'yum': No such file or directory" >&2
  echo "Failed to download the rootfs, aborting."
  echo "Failed to download 'CentOS base'"
  echo "failed to install CentOS"
  exit 1
}
