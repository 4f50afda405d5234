# systemd units on a lab node (there is no systemd): unit files are read from the usual
# directories, `enable` makes the [Install] symlinks, and starting a unit runs its Exec* lines
# with sh. Unit state lives in $LAB_RUN/units/NAME (active | inactive | failed), output in
# $LAB_RUN/journal. Sourced after common.sh.

. "$LAB_LIB/lib/flavour-tools.sh"

UNIT_DIRS="/etc/systemd/system /run/systemd/system /usr/lib/systemd/system"
UNITS_RUN=$LAB_RUN/units

unit_name() {
  case "$1" in *.service | *.target | *.timer | *.socket | *.mount | *.path) echo "$1" ;; *) echo "$1.service" ;; esac
}

unit_path() {
  local d
  for d in $UNIT_DIRS; do
    [ -f "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  return 1
}

# unit_values FILE SECTION KEY: every value of KEY in [SECTION], one per line, in order.
unit_values() {
  awk -v sec="[$2]" -v key="$3" '
    /^[ \t]*[#;]/ { next }
    /^[ \t]*\[/ { cur = $0; gsub(/[ \t]/, "", cur); next }
    cur == sec {
      i = index($0, "=")
      if (i == 0) next
      k = substr($0, 1, i - 1); gsub(/^[ \t]+|[ \t]+$/, "", k)
      if (k != key) next
      v = substr($0, i + 1); gsub(/^[ \t]+|[ \t]+$/, "", v)
      print v
    }' "$1"
}

unit_value() { unit_values "$@" | tail -n1; }

unit_wants_links() { ls /etc/systemd/system/*.wants/"$1" /etc/systemd/system/*.requires/"$1" 2> /dev/null; }

unit_enabled() { [ -n "$(unit_wants_links "$1")" ]; }

unit_state() { cat "$UNITS_RUN/$1" 2> /dev/null || echo inactive; }

say_link() { # created|removed LINK TARGET
  if [ "$LAB_FLAVOUR" = centos7 ]; then
    if [ "$1" = created ]; then echo "Created symlink from $2 to $3." >&2; else echo "Removed symlink $2." >&2; fi
  else
    if [ "$1" = created ]; then echo "Created symlink $2 → $3." >&2; else echo "Removed \"$2\"." >&2; fi
  fi
}

link_unit() { # UNIT PATH DIR: DIR is /etc/systemd/system/TARGET.wants or .requires
  [ -L "$3/$1" ] && return 0
  mkdir -p "$3"
  ln -s "$2" "$3/$1"
  say_link created "$3/$1" "$2"
}

unit_enable() {
  local path targets req t
  path=$(unit_path "$1") || { echo "Failed to enable unit: Unit file $1 does not exist." >&2; return 1; }
  targets="$(unit_values "$path" Install WantedBy | tr ' ' '\n') "
  req="$(unit_values "$path" Install RequiredBy | tr ' ' '\n')"
  if [ -z "$(echo "$targets$req" | tr -d ' \n')" ]; then
    echo "The unit files have no installation config (WantedBy=, RequiredBy=, Also=, Alias= settings in the [Install] section)." >&2
    return 0
  fi
  for t in $targets; do link_unit "$1" "$path" "/etc/systemd/system/$t.wants"; done
  for t in $req; do link_unit "$1" "$path" "/etc/systemd/system/$t.requires"; done
}

unit_disable() {
  local link
  unit_path "$1" > /dev/null || { echo "Failed to disable unit: Unit file $1 does not exist." >&2; return 1; }
  for link in $(unit_wants_links "$1"); do
    rm -f "$link"
    say_link removed "$link"
  done
}

# Where a unit's stdout or stderr goes (KEY StandardOutput or StandardError), as the flavour's
# systemd parses the setting: journal, null, append:PATH or file:PATH. systemd 219 (centos7;
# src/core/execute.c exec_output_table and src/core/load-fragment.c config_parse_output at v219)
# knows inherit, null, tty, journal, syslog, kmsg, their +console forms and socket: any other value
# (append: and file: came in 236/240) is logged "[FILE:LINE] Failed to parse output specifier,
# ignoring: VALUE" and the default (the journal) stays. Later systemds take append:/file: too.
unit_output() { # FILE KEY
  local line value
  line=$(awk -v key="$2" '/^[ \t]*\[/ { sec = $0; gsub(/[ \t]/, "", sec); next }
    sec == "[Service]" { i = index($0, "="); if (i == 0) next; k = substr($0, 1, i - 1); gsub(/^[ \t]+|[ \t]+$/, "", k)
      if (k == key) n = NR } END { print n }' "$1")
  value=$(unit_value "$1" Service "$2")
  [ -n "$value" ] || value=$([ "$2" = StandardError ] && echo inherit || echo journal)
  case "$value" in
    inherit | null | tty | journal | syslog | kmsg | journal+console | syslog+console | kmsg+console | socket) ;;
    append:/* | file:/*)
      # file: came with systemd 236, append: with 240 (NEWS): 219 knows neither, 239 (EL8) only file:.
      if [ "$SYSTEMD" = 219 ] || { [ "$SYSTEMD" = 239 ] && [ "${value%%:*}" = append ]; }; then
        echo "$(date '+%b %d %H:%M:%S') ${LAB_NODE:-node} systemd[1]: [$1:$line] Failed to parse output specifier, ignoring: $value" >> "$LAB_RUN/journal"
        value=journal
      fi
      ;;
    *)
      echo "$(date '+%b %d %H:%M:%S') ${LAB_NODE:-node} systemd[1]: [$1:$line] Failed to parse output specifier, ignoring: $value" >> "$LAB_RUN/journal"
      value=journal
      ;;
  esac
  case "$value" in
    null | append:* | file:*) echo "$value" ;;
    inherit) echo inherit ;;
    *) echo journal ;;
  esac
}

output_path() { # journal|null|append:PATH|file:PATH
  case "$1" in
    null) echo /dev/null ;;
    append:* | file:*) echo "${1#*:}" | sed 's/%%/%/g' ;;
    *) echo "$LAB_RUN/journal" ;;
  esac
}

# UNIT_OUT and UNIT_ERR: the files a unit's Exec lines write to, read once per start or stop (when
# systemd would load the unit, and log what it cannot parse).
unit_streams() { # FILE
  UNIT_OUT=$(unit_output "$1" StandardOutput)
  UNIT_ERR=$(unit_output "$1" StandardError)
  [ "$UNIT_ERR" != inherit ] || UNIT_ERR=$UNIT_OUT
  UNIT_OUT=$(output_path "$UNIT_OUT")
  UNIT_ERR=$(output_path "$UNIT_ERR")
}

# Runs one Exec line like systemd: prefixes -@+!: stripped, %n/%N/%% expanded, $$ a literal $
# (systemd.service(5): "To pass a literal dollar sign, use $$"; sh would read it as its PID), in sh.
unit_exec() { # UNIT FILE LINE
  local line ignore rc e
  line=$3 ignore=0 rc=0
  while :; do
    case "$line" in
      -*) ignore=1; line=${line#-} ;;
      [@+!:]*) line=${line#?} ;;
      *) break ;;
    esac
  done
  line=$(printf '%s' "$line" | sed -e "s/%n/$1/g" -e "s/%N/${1%.*}/g" -e 's/%%/%/g' -e 's/[$][$]/\\$/g')
  (
    cd "$(unit_value "$2" Service WorkingDirectory | sed 's/^-//' | grep . || echo /)" || exit 1
    for e in $(unit_values "$2" Service EnvironmentFile); do
      e=${e#-}
      [ -r "$e" ] && set -a && . "$e" && set +a
    done
    e=$(unit_values "$2" Service Environment | tr '\n' ' ')
    [ -z "${e% }" ] || eval "export $e"
    exec env -u LAB_SHIM_OFF sh -c "$line"
  ) >> "${UNIT_OUT:-$LAB_RUN/journal}" 2>> "${UNIT_ERR:-$LAB_RUN/journal}" < /dev/null || rc=$?
  [ "$ignore" = 1 ] && return 0
  return $rc
}

unit_start() {
  local path type step line
  mkdir -p "$UNITS_RUN"
  path=$(unit_path "$1") || { echo "Failed to start $1: Unit $1 not found." >&2; return 5; }
  case "$1" in *.target) echo active > "$UNITS_RUN/$1"; return 0 ;; esac
  type=$(unit_value "$path" Service Type)
  unit_streams "$path"
  echo "$(date '+%b %d %H:%M:%S') ${LAB_NODE:-node}: Starting $1..." >> "$LAB_RUN/journal"
  for step in ExecStartPre ExecStart ExecStartPost; do
    unit_values "$path" Service "$step" > "$UNITS_RUN/.$1.$step"
    while IFS= read -r line; do
      if [ "$step" = ExecStart ] && [ "${type:-simple}" != oneshot ] && [ "${type:-simple}" != forking ]; then
        ( unit_exec "$1" "$path" "$line" ) &
        echo $! > "$UNITS_RUN/$1.pid"
        continue
      fi
      if ! unit_exec "$1" "$path" "$line"; then
        echo failed > "$UNITS_RUN/$1"
        rm -f "$UNITS_RUN/.$1.$step"
        echo "Job for $1 failed because the control process exited with error code." >&2
        echo "See \"systemctl status $1\" and \"journalctl -xeu $1\" for details." >&2
        return 1
      fi
    done < "$UNITS_RUN/.$1.$step"
    rm -f "$UNITS_RUN/.$1.$step"
  done
  if [ "${type:-simple}" = oneshot ] && [ "$(unit_value "$path" Service RemainAfterExit)" != yes ]; then
    echo inactive > "$UNITS_RUN/$1"
  else
    echo active > "$UNITS_RUN/$1"
  fi
}

unit_stop() {
  local path
  path=$(unit_path "$1") || { echo "Failed to stop $1: Unit $1 not loaded." >&2; return 5; }
  [ -f "$UNITS_RUN/$1.pid" ] && { kill "$(cat "$UNITS_RUN/$1.pid")" 2> /dev/null || :; }
  rm -f "$UNITS_RUN/$1.pid"
  unit_streams "$path"
  unit_values "$path" Service ExecStop | while IFS= read -r line; do unit_exec "$1" "$path" "$line"; done
  echo inactive > "$UNITS_RUN/$1"
}

# Enabled units of multi-user.target (and default.target), each once.
units_enabled() {
  local l u all
  all=
  for l in /etc/systemd/system/multi-user.target.wants/* /etc/systemd/system/default.target.wants/*; do
    [ -e "$l" ] || continue
    u=${l##*/}
    unit_path "$u" > /dev/null || continue
    case " $all " in *" $u "*) ;; *) all="$all $u" ;; esac
  done
  echo $all
}

# Of the units named, those systemd starts before sshd: ordered before the ssh unit directly or
# through other units and targets, with Before= and After= read on both ends as systemd builds its
# transaction (systemd.unit(5), "Before=, After="). Every flavour's ssh unit is After=network.target
# (Debian 12 and Ubuntu 24.04 ssh.service, CentOS 7 and AlmaLinux sshd.service, as packaged), so a
# unit Before=network.target (or network-pre.target, which network.target is After=) comes before
# sshd; a unit After=network.target (lxc.service) starts alongside it. One awk over the unit files
# (the first of each name in UNIT_DIRS' order), not a process per pair: it runs while the node boots.
units_before_ssh() { # UNIT...
  local d f u files
  files=
  for d in $UNIT_DIRS; do
    for f in "$d"/*.target "$d"/ssh.service "$d"/sshd.service; do [ -f "$f" ] && files="$files $f"; done
  done
  for u in "$@"; do files="$files $(unit_path "$u")"; done
  # shellcheck disable=SC2086 # a list of paths without spaces
  awk -v wanted="$*" '
    FNR == 1 { name = FILENAME; sub(/.*\//, "", name); skip = (name in seen); seen[name] = 1; sec = "" }
    skip { next }
    /^[ \t]*[#;]/ { next }
    /^[ \t]*\[/ { sec = $0; gsub(/[ \t]/, "", sec); next }
    sec == "[Unit]" && /^[ \t]*(Before|After)[ \t]*=/ {
      i = index($0, "="); key = substr($0, 1, i - 1); gsub(/[ \t]/, "", key)
      n = split(substr($0, i + 1), names, /[ \t]+/)
      for (j = 1; j <= n; j++) {
        if (names[j] == "") continue
        # An edge "A precedes B": A Before=B, or B After=A.
        e++; if (key == "Before") { from[e] = name; to[e] = names[j] } else { from[e] = names[j]; to[e] = name }
      }
    }
    END {
      # The ssh unit and its default dependencies (systemd.service(5): After=basic.target).
      early["ssh.service"] = 1; early["sshd.service"] = 1; early["basic.target"] = 1
      do { grew = 0; for (k = 1; k <= e; k++) if ((to[k] in early) && !(from[k] in early)) { early[from[k]] = 1; grew = 1 } } while (grew)
      n = split(wanted, w, " ")
      for (j = 1; j <= n; j++) if (w[j] in early) print w[j]
    }' $files
}

# Enabled units of multi-user.target, ordered by their Before=/After= among themselves (ties by
# name). With `--before-ssh` only those systemd starts before sshd (units_before_ssh), with
# `--after-ssh` the rest.
units_boot_order() {
  local want all early u left picked blocked o
  want=$1
  all=$(units_enabled)
  # shellcheck disable=SC2086
  early=" $(units_before_ssh $all | tr '\n' ' ') "
  left=
  for u in $all; do
    case "$early" in *" $u "*) [ "$want" = --before-ssh ] && left="$left $u" ;; *) [ "$want" = --after-ssh ] && left="$left $u" ;; esac
  done
  all=$left
  left=$(echo "$all" | tr ' ' '\n' | grep . | sort)
  while [ -n "$left" ]; do
    picked=
    for u in $left; do
      blocked=0
      for o in $left; do
        [ "$o" = "$u" ] && continue
        if unit_values "$(unit_path "$u")" Unit After | tr ' ' '\n' | grep -qx "$o" ||
          unit_values "$(unit_path "$o")" Unit Before | tr ' ' '\n' | grep -qx "$u"; then
          blocked=1
          break
        fi
      done
      [ $blocked = 0 ] && { picked=$u; break; }
    done
    [ -n "$picked" ] || picked=$(echo "$left" | head -n1)
    echo "$picked"
    left=$(echo "$left" | grep -vx "$picked")
  done
}
