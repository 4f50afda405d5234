# The options of the real LXC templates the lab's template stands in for, read as they read them:
# util-linux getopt with each template's own option string, so an option the real template does not
# know stops it with getopt's complaint on stderr, its usage on stdout and exit 1 (as `lxc-create
# -t centos -- --mirror URL` does on a real host). Sourced by lxc/lxc-sriov-lab; pure (no writes).
#
# Sources, per template and release (a centos7 node runs EPEL 7's lxc-1.0.11; every other flavour
# the machine's lxc-templates 3.0.4, Debian 12's package, whose templates/*.in these are):
#   lxc-centos  lxc-1.0.11 templates/lxc-centos.in `getopt -o a:hp:n:cR: -l help,path:,rootfs:,name:,
#               clean,release:,repo:,arch:,fqdn:` (lxc-templates 3.0.4: the same line; its usage
#               differs in the --path line); bad option: `usage $(basename $0); exit 1`;
#               -h: `usage $0 && exit 0`.
#   lxc-debian  lxc-1.0.11 and 3.0.4 templates/lxc-debian.in (different option strings and usage);
#               -h: `usage $0 && exit 1` in both.
#   lxc-ubuntu  lxc-1.0.11 and 3.0.4 templates/lxc-ubuntu.in; -h: `usage $0 && exit 0`.

# Sets short, long and help_exit for TEMPLATE (lxc-centos, lxc-debian, lxc-ubuntu) under LXC.
template_option_spec() { # TEMPLATE LXC
  case "$1|$2" in
    lxc-centos\|*) short=a:hp:n:cR: long=help,path:,rootfs:,name:,clean,release:,repo:,arch:,fqdn: help_exit=0 ;;
    lxc-debian\|1.0.11) short=hp:n:a:r:c long=arch:,clean,help,mirror:,name:,path:,release:,rootfs:,security-mirror: help_exit=1 ;;
    lxc-debian\|*)
      short=hp:n:a:r:cI:FS: help_exit=1
      long=arch:,auth-key:,clean,help,enable-non-free,mirror:,keyring:,name:,packages:,path:,release:,rootfs:,security-mirror:,interpreter-path:,flush-cache
      ;;
    lxc-ubuntu\|1.0.11)
      short=a:b:hp:r:n:FS:du: help_exit=0
      long=arch:,bindhome:,help,path:,release:,name:,flush-cache,auth-key:,debug,rootfs:,packages:,user:,password:,mirror:,security-mirror:
      ;;
    lxc-ubuntu\|*)
      short=a:b:hp:r:v:n:FS:du: help_exit=0
      long=arch:,bindhome:,help,path:,release:,variant:,name:,flush-cache,auth-key:,debug,rootfs:,packages:,user:,password:,mirror:,security-mirror:
      ;;
    *) echo "lxc-sriov-lab: run as $1: it stands for lxc-centos, lxc-debian or lxc-ubuntu only" >&2; exit 1 ;;
  esac
}

# Whether OPTION, as getopt prints it (-x or --long), takes an argument in the current spec.
template_option_takes_argument() { # OPTION
  case "$1" in
    --*) case ",$long," in *",${1#--}:,"*) return 0 ;; esac ;;
    -?) case "$short" in *"${1#-}:"*) return 0 ;; esac ;;
  esac
  return 1
}

# Reads the template's arguments as the real template does; sets name, path, rootfs, release,
# repo and fqdn (the ones the lab acts on; the others are accepted and ignored). Exits as the real template
# for -h and for an option it does not know.
template_read_options() { # TEMPLATE LXC ARG0 ARGS...
  template=$1 lxc=$2 arg0=$3
  shift 3
  template_option_spec "$template" "$lxc"
  if ! options=$(getopt -o "$short" -l "$long" -- "$@"); then
    template_usage "$template" "$lxc" "${arg0##*/}"
    exit 1
  fi
  eval set -- "$options"
  name= path= rootfs= release= repo= fqdn=
  while [ $# -gt 0 ]; do
    case "$1" in
      -h | --help) template_usage "$template" "$lxc" "$arg0"; exit "$help_exit" ;;
      -n | --name) name=$2; shift 2 ;;
      -p | --path) path=$2; shift 2 ;;
      --rootfs) rootfs=$2; shift 2 ;;
      -R | -r | --release) release=$2; shift 2 ;;
      --repo) repo=$2; shift 2 ;;
      --fqdn) fqdn=$2; shift 2 ;;
      --) break ;;
      *) if template_option_takes_argument "$1"; then shift 2; else shift; fi ;;
    esac
  done
}

# The real template's usage text, with $1 as the template prints it.
template_usage() { # TEMPLATE LXC NAME
  case "$1|$2" in
    lxc-centos\|*)
      where="path to where the container directory will be created, defaults to /var/lib/lxc."
      [ "$2" != 1.0.11 ] || where="path to where the container rootfs will be created, defaults to /var/lib/lxc/name."
      cat << EOF
usage:
    $3 -n|--name=<container_name>
        [-p|--path=<path>] [-c|--clean] [-R|--release=<CentOS_release>] [-a|--arch=<arch of the container>]
        [-h|--help]
Mandatory args:
  -n,--name         container name, used to as an identifier for that container from now on
Optional args:
  -p,--path         $where
  -c,--clean        clean the cache
  -R,--release      CentOS release for the new container. If the host is CentOS, then it will default to the host's release.
     --fqdn         fully qualified domain name (FQDN) for DNS and system naming
     --repo         repository to use (url)
  -a,--arch         Define what arch the container will be [i686,x86_64]
  -h,--help         print this help
EOF
      ;;
    lxc-debian\|1.0.11)
      cat << EOF
Template specific options can be passed to lxc-create after a '--' like this:

  lxc-create --name=NAME [-lxc-create-options] -- [-template-options]

Usage: $3 -h|--help -p|--path=<path> [-c|--clean] [-a|--arch=<arch>] [-r|--release=<release>]
                                     [--mirror=<mirror>] [--security-mirror=<security mirror>]

Options :

  -h, --help             print this help text
  -p, --path=PATH        directory where config and rootfs of this VM will be kept
  -a, --arch=ARCH        The container architecture. Can be one of: i686, x86_64,
                         amd64, armhf, armel, powerpc. Defaults to host arch.
  -r, --release=RELEASE  Debian release. Can be one of: wheezy, jessie, stretch, buster, sid.
                         Defaults to current stable.
  --mirror=MIRROR        Debian mirror to use during installation. Overrides the MIRROR
                         environment variable (see below).
  --security-mirror=SECURITY_MIRROR
                         Debian mirror to use for security updates. Overrides the
                         SECURITY_MIRROR environment variable (see below).
  -c, --clean            only clean up the cache and terminate

Environment variables:

  MIRROR                 The Debian package mirror to use. See also the --mirror switch above.
                         Defaults to '${MIRROR:-http://deb.debian.org/debian}'
  SECURITY_MIRROR        The Debian package security mirror to use. See also the --security-mirror switch above.
                         Defaults to '${SECURITY_MIRROR:-http://security.debian.org/}'

EOF
      ;;
    lxc-debian\|*)
      cat << EOF
Template specific options can be passed to lxc-create after a '--' like this:

  lxc-create --name=NAME [-lxc-create-options] -- [-template-options]

Usage: $3 -h|--help -p|--path=<path> [-c|--clean] [-a|--arch=<arch>] [-r|--release=<release>]
                                     [--mirror=<mirror>] [--security-mirror=<security mirror>]
                                     [--keyring=<keyring>]
                                     [--package=<package_name1,package_name2,...>]
                                     [-I|--interpreter-path=<interpreter path>]
                                     [-F | --flush-cache] [-S|--auth-key=<keyfile>]

Options :

  -h, --help             print this help text
  -p, --path=PATH        directory where config and rootfs of this VM will be kept
  -S, --auth-key=KEYFILE SSH public key to inject into the container as the root user.
  -a, --arch=ARCH        The container architecture. Can be one of: i686, x86_64,
                         amd64, armhf, armel, powerpc. Defaults to host arch.
  -r, --release=RELEASE  Debian release. Can be one of: wheezy, jessie, stretch, buster, sid.
                         Defaults to current stable.
  --mirror=MIRROR        Debian mirror to use during installation. Overrides the MIRROR
                         environment variable (see below).
  --keyring=KEYRING      GPG keyring to authenticate the repository against.
                         Overrides the KEYRING environment variable (see below).
  --security-mirror=SECURITY_MIRROR
                         Debian mirror to use for security updates. Overrides the
                         SECURITY_MIRROR environment variable (see below).
  --packages=PACKAGE_NAME1,PACKAGE_NAME2,...
                         List of additional packages to install. Comma separated, without space.
  -c, --clean            only clean up the cache and terminate
  --enable-non-free      include also Debian's contrib and non-free repositories.
  -I|--interpreter-path=INTERPRETER-PATH
                         Path of the binfmt interpreter to copy to the rootfs
  -F | --flush-cache     Flush the debian release cache

Environment variables:

  MIRROR                 The Debian package mirror to use. See also the --mirror switch above.
                         Defaults to '${MIRROR:-http://deb.debian.org/debian}'
  SECURITY_MIRROR        The Debian package security mirror to use. See also the --security-mirror switch above.
                         Defaults to '${SECURITY_MIRROR:-http://security.debian.org/debian-security}'
  KEYRING                Defaults to '/usr/share/keyrings/debian-archive-keyring.gpg'
  DOWNLOAD_KEYRING       Sets whether to download keyring when missing or ignore keyring checks
                         Defaults to 1

EOF
      ;;
    *)
      variant="   [-F | --flush-cache] [-r|--release <release>] [-v|--variant] [ -S | --auth-key <keyfile>]"
      example=xenial
      if [ "$2" = 1.0.11 ]; then
        variant="   [-F | --flush-cache] [-r|--release <release>] [ -S | --auth-key <keyfile>]"
        example=precise
      fi
      printf '%s\n' "$3 -h|--help [-a|--arch] [-b|--bindhome <user>] [-d|--debug]" "$variant" \
        "   [--rootfs <rootfs>] [--packages <packages>] [-u|--user <user>] [--password <password>]" \
        "   [--mirror <url>] [--security-mirror <url>]" \
        "release: the ubuntu release (e.g. $example): defaults to host release on ubuntu, otherwise uses latest LTS"
      [ "$2" = 1.0.11 ] || echo "variant: debootstrap variant to use (see debootstrap(8))"
      cat << 'EOF'
bindhome: bind <user>'s home into the container
          The ubuntu user will not be created, and <user> will have
          sudo access.
arch: the container architecture (e.g. amd64): defaults to host arch
auth-key: SSH Public key file to inject into container
packages: list of packages to add comma separated
mirror,security-mirror: mirror for download and /etc/apt/sources.list
EOF
      ;;
  esac
}
