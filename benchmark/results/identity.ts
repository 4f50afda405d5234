// What a benchmark result measured: the node and the configuration that can change its figures,
// as named inputs (name → text). The node's side is read in one round trip (identityArgv), the
// plan's side comes from the inventory. A stored result stands for the node only while every
// input is the same; changedInputs names the ones that differ. Pure but for the argv it builds.
import type { HostPlan } from '../../inventory/plan.ts';
import { benchProfile, profileProcedure } from '../run/profiles.ts';

export type MeasuredOn = Record<string, string>;

const SECTION = '@@sriov-lxc-input ';

// Each section: its name on a line of its own, then what the node says. Unreadable parts print a
// placeholder, so a missing file is an input value too (and its appearance a change).
const SCRIPT = `sec() { printf '\\n${SECTION}%s\\n' "$1"; }
sec machine-id; cat /etc/machine-id 2>/dev/null || echo '(none)'
sec kernel-release; uname -r
sec kernel-cmdline; cat /proc/cmdline
lxcpath=$(lxc-config lxc.lxcpath 2>/dev/null) || lxcpath=/var/lib/lxc
for a in "$@"; do
  n=\${a#*:}
  case $a in
    pf:*)
      sec "pf $n"
      d=/sys/class/net/$n/device
      echo "pci $(basename "$(readlink -f "$d")") $(cat "$d/vendor" "$d/device" 2>/dev/null | tr '\\n' ' ')"
      echo "numvfs $(cat "$d/sriov_numvfs" 2>/dev/null || echo '(none)')"
      sec "vfs $n"
      ip link show dev "$n" 2>/dev/null | grep -E '^[[:space:]]+vf [0-9]+' | sed 's/^[[:space:]]*//' ;;
    mod:*)
      sec "driver $n"
      echo "version $(cat "/sys/module/$n/version" 2>/dev/null || echo '(none)') srcversion $(cat "/sys/module/$n/srcversion" 2>/dev/null || echo '(none)')" ;;
    ct:*)
      sec "container $n config"
      grep -E '^[[:space:]]*lxc\\.(cgroup2?\\.|net\\.[0-9]+\\.(link|type|hwaddr)|network\\.(link|type|hwaddr))' "$lxcpath/$n/config" 2>/dev/null | sed 's/[[:space:]]//g' | sort ;;
  esac
done
exit 0`;

/** The one command that reads the node's side of the inputs. */
export function identityArgv(plan: HostPlan): string[] {
  return [
    'sh', '-c', SCRIPT, 'sh',
    ...plan.pfs.filter((pf) => pf.vfs > 0).map((pf) => `pf:${pf.name}`),
    ...[...new Set([plan.driver.pfModule, plan.driver.vfModule])].map((m) => `mod:${m}`),
    ...plan.containers.map((c) => `ct:${c.name}`),
  ];
}

/** The sections of identityArgv's output. */
export function parseIdentity(stdout: string): MeasuredOn {
  const inputs: MeasuredOn = {};
  let name: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(SECTION)) {
      name = line.slice(SECTION.length);
      inputs[name] = '';
    } else if (name !== undefined && line !== '') {
      inputs[name] = inputs[name] === '' ? line : `${inputs[name]}\n${line}`;
    }
  }
  return inputs;
}

/** The plan's side: the benchmark's settings and what the inventory asks of each container. */
export function plannedInputs(plan: HostPlan): MeasuredOn {
  const { benchmark } = plan;
  const inputs: MeasuredOn = {
    profile: `${benchmark.profile}${benchmark.repetitions === undefined ? '' : ` repetitions=${benchmark.repetitions}`}`,
    'profile procedure': profileProcedure(benchProfile(benchmark.profile, benchmark.repetitions)),
    'benchmark settings': JSON.stringify({
      peer: benchmark.peer ?? null, directory: benchmark.fio.directory, precision: benchmark.precision ?? null, budget: benchmark.budget ?? null,
      penaltyThreshold: benchmark.penaltyThreshold, maxPenalty: benchmark.maxPenalty ?? {},
    }),
  };
  for (const c of plan.containers) {
    inputs[`container ${c.name} plan`] = JSON.stringify({ vf: c.vf, limits: c.limits, rate: c.rate ?? null, devices: c.devices });
  }
  return inputs;
}

const shorten = (text: string | undefined): string => {
  if (text === undefined) return 'not recorded';
  const one = text.replace(/\s*\n\s*/g, '; ');
  return `"${one.length > 160 ? `${one.slice(0, 157)}...` : one}"`;
};

/** The inputs that differ, in words ("kernel-cmdline: was "...", now "...""); empty when none. */
export function changedInputs(before: MeasuredOn, now: MeasuredOn): string[] {
  const names = [...new Set([...Object.keys(now), ...Object.keys(before)])];
  return names
    .filter((n) => before[n] !== now[n])
    .map((n) => (n in now ? `${n}: was ${shorten(before[n])}, now ${shorten(now[n])}` : `${n}: was ${shorten(before[n])}, now gone`));
}
