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
# What the node's package manager makes of the template's line `baseurl="$repo"` (a heredoc: the
# value is written as given, quotes around it):
#   yum 3.4.3 (centos7 nodes; yum/config.py UrlListOption.parse, UrlOption.parse, yum/parser.py
#     varReplace, yum/yumRepo.py _replace_and_check_url; rpm-software-management/yum at the
#     3.4.3 bump 02a6d7ad and its last commit, the same code): commas and newlines become spaces,
#     then Python's shlex.split (POSIX rules) reads the value, so the quotes go and the whole --repo
#     is one URL, its spaces (and commas) as %20; a value shlex cannot read ("No closing quotation",
#     "No escaped character"), "_none_", or a URL whose scheme is not http, ftp, file or https makes
#     the repo config invalid: yum warns and skips the repo, then has no repo at all. $word is
#     replaced for releasever (7: the template passes --releasever), basearch and arch (x86_64),
#     the name case-insensitive, an unknown one left as is; a path gets a trailing /.
#   dnf 4 (alma8, alma9 nodes; libdnf 0.63 / 0.69 utils/iniparser IniParser::trimValue,
#     conf/OptionStringList fromString, ConfigRepo's baseurl binding, ConfigParser::substitute):
#     one pair of matching quotes around the whole value goes; the rest splits at spaces, commas
#     and newlines into several URLs, each tried in turn; a /path becomes file:///path; $word and
#     ${word} are replaced for releasever, basearch and arch. (dnf's own complaint for a URL of an
#     unknown scheme is not simulated: such a URL fails as an unreachable one.)
#
# The repos the lab serves (it is offline: these stand for the real trees, which still answer):
#   release 7: the CentOS vault's trees, vault.centos.org/7.N.NNNN/os/x86_64/ (7.0.1406 to 7.9.2009)
#              or /centos/7/os/x86_64/
#   release 8: AlmaLinux 8's BaseOS, repo.almalinux.org/almalinux/8/BaseOS/x86_64/os/
#   release 9: AlmaLinux 9's BaseOS, repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/
# Any other URL does not answer in the lab, as a mirror the node cannot reach.

centos_url_served() { # RELEASE URL
  case "$2" in
    http://* | https://*) tree=${2#*://} ;;
    *) return 1 ;;
  esac
  case "$1|${tree%/}" in
    7\|vault.centos.org/centos/7/os/x86_64) return 0 ;;
    7\|vault.centos.org/7.[0-9].[0-9][0-9][0-9][0-9]/os/x86_64)
      version=${tree#vault.centos.org/}
      case "${version%%/*}" in
        7.0.1406 | 7.1.1503 | 7.2.1511 | 7.3.1611 | 7.4.1708 | 7.5.1804 | 7.6.1810 | 7.7.1908 | 7.8.2003 | 7.9.2009) return 0 ;;
      esac
      ;;
    8\|repo.almalinux.org/almalinux/8/BaseOS/x86_64/os | 9\|repo.almalinux.org/almalinux/9/BaseOS/x86_64/os) return 0 ;;
  esac
  return 1
}

# The URLs the node's package manager tries for `baseurl="REPO"`, one a line, variables replaced;
# for yum a config it rejects prints "error: MESSAGE" on the first line instead.
centos_baseurls() { # RELEASE REPO
  if [ "${LAB_FLAVOUR:-}" = centos7 ]; then
    printf '"%s"\n' "$2" | awk -v releasever="$1" '
      function fail(m) { print "error: " m; failed = 1; exit }
      {
        s = $0; gsub(/,/, " ", s); n = length(s); tok = ""; intok = 0; q = ""
        for (i = 1; i <= n; i++) {
          c = substr(s, i, 1)
          if (q == "") {
            if (c == " ") { if (intok) { toks[++k] = tok; tok = ""; intok = 0 }; continue }
            if (c == "\\") { if (i == n) fail("No escaped character"); tok = tok substr(s, ++i, 1); intok = 1; continue }
            if (c == "\"" || c == "\047") { q = c; intok = 1; continue }
            tok = tok c; intok = 1
          } else if (c == q) q = ""
          else if (q == "\"" && c == "\\") {
            if (i == n) fail("No escaped character")
            d = substr(s, ++i, 1)
            tok = tok (d == "\"" || d == "\\" ? "" : c) d
          } else tok = tok c
        }
        if (q != "") fail("No closing quotation")
        if (intok) toks[++k] = tok
        for (j = 1; j <= k; j++) {
          u = toks[j]; gsub(/ /, "%20", u)
          if (u == "") continue
          if (tolower(u) == "_none_") fail("\"_none_\" is not a valid value")
          scheme = ""
          # as Python 2.7 urlsplit: a scheme unless what follows the colon is a port number
          if (match(u, /^[A-Za-z0-9+.-]+:/)) { rest = substr(u, RLENGTH + 1); if (rest == "" || rest !~ /^[0-9]+$/) scheme = tolower(substr(u, 1, RLENGTH - 1)) }
          if (scheme != "http" && scheme != "ftp" && scheme != "file" && scheme != "https") fail("URL must be http, ftp, file or https not \"" scheme "\"")
          urls[++m] = u
        }
        for (j = 1; j <= m; j++) {
          u = urls[j]; out = ""
          while (match(u, /\$[A-Za-z0-9_]+/)) {
            name = tolower(substr(u, RSTART + 1, RLENGTH - 1))
            value = name == "releasever" ? releasever : (name == "basearch" || name == "arch") ? "x86_64" : substr(u, RSTART, RLENGTH)
            out = out substr(u, 1, RSTART - 1) value; u = substr(u, RSTART + RLENGTH)
          }
          print out u
        }
      }'
  else
    printf '"%s"\n' "$2" | awk -v releasever="$1" '
      {
        s = $0
        if (length(s) > 1 && substr(s, 1, 1) == substr(s, length(s)) && s ~ /^["\047]/) s = substr(s, 2, length(s) - 2)
        k = split(s, parts, /[ ,]+/)
        for (j = 1; j <= k; j++) {
          u = parts[j]; if (u == "") continue
          if (substr(u, 1, 1) == "/") u = "file://" u
          out = ""
          while (match(u, /\$(\{[A-Za-z0-9_]+\}|[A-Za-z0-9_]+)/)) {
            name = substr(u, RSTART + 1, RLENGTH - 1); gsub(/[{}]/, "", name)
            value = name == "releasever" ? releasever : (name == "basearch" || name == "arch") ? "x86_64" : substr(u, RSTART, RLENGTH)
            out = out substr(u, 1, RSTART - 1) value; u = substr(u, RSTART + RLENGTH)
          }
          print out u
        }
      }'
  fi
}

# Whether the template's package manager reaches a served tree of RELEASE through REPO.
centos_repo_served() { # RELEASE REPO
  [ -n "$2" ] || return 1
  centos_baseurls "$1" "$2" | {
    served=1
    while IFS= read -r url; do
      case "$url" in error:*) break ;; esac
      if centos_url_served "$1" "$url"; then served=0; fi
    done
    return "$served"
  }
}

# yum 3.4.3's failure when no URL of the repo answers (the captures named at the top).
centos_yum_unreachable() { # RELEASE REPO URL HOST
  release=$1 repo=$2 url=$3 host=$4
if [ -n "$repo" ]; then
    printf '%s\n' "$url: [Errno 14] curl#6 - \"Could not resolve host: $host; Unknown error\"" >&2
    echo "Trying other mirror." >&2
  else
    echo "Determining fastest mirrors"
    printf '%s\n' "Could not retrieve mirrorlist $url error was" >&2
    printf '%s\n' "14: curl#6 - \"Could not resolve host: $host; Unknown error\"" >&2
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
    printf '%s\n' "$url: [Errno 14] curl#6 - \"Could not resolve host: $host; Unknown error\"" >&2
  else
    echo "Cannot find a valid baseurl for repo: base/$release/x86_64" >&2
  fi
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
  config_error=
  if [ -n "$repo" ]; then
    first=$(centos_baseurls "$release" "$repo" | head -n 1)
    case "$first" in
      error:*) config_error=${first#error: } ;;
      '') first=$repo ;;
    esac
    host=$(printf '%s\n' "$first" | sed 's|^[a-zA-Z0-9+.-]*://||; s|[/:].*||')
    url=${first%/}/repodata/repomd.xml
  else
    host=mirrorlist.centos.org
    url="http://mirrorlist.centos.org/?release=$release&arch=x86_64&repo=os"
  fi
  if [ "$LAB_FLAVOUR" = centos7 ]; then
    # yum 3.4.3 (CentOS 7.9)
    echo "Loaded plugins: fastestmirror"
    if [ -n "$config_error" ]; then
      # yum/__init__.py readRepoConfig's ConfigError (the value as Python 2's repr prints it), logged
      # as a warning; the repo skipped, yumcommands.py checkEnabledRepo finds none.
      value=$(printf '"%s"' "$repo" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")
      printf '%s\n' "Repository 'base': Error parsing config: Error parsing \"baseurl = '$value'\": $config_error" >&2
      cat >&2 << 'EOF'
There are no enabled repos.
 Run "yum repolist all" to see the repos you have.
 To enable Red Hat Subscription Management repositories:
     subscription-manager repos --enable <repo>
 To enable custom repositories:
     yum-config-manager --enable <repo>
EOF
    else
      centos_yum_unreachable "$release" "$repo" "$url" "$host"
    fi
  else
    # dnf 4 (EL 8/9): "yum" is dnf
    echo "Unable to detect release version (use '--releasever' to specify release version)" >&2
    echo "Errors during downloading metadata for repository 'base':" >&2
    printf '%s\n' "  - Curl error (6): Couldn't resolve host name for $url [Could not resolve host: $host]" >&2
    what="Cannot download repomd.xml"
    [ -n "$repo" ] || what="Cannot prepare internal mirrorlist"
    printf '%s\n' "Error: Failed to download metadata for repo 'base': $what: Curl error (6): Couldn't resolve host name for $url [Could not resolve host: $host]" >&2
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
