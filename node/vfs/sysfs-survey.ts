// What sysfs says about one PF and its VFs, read in one round trip: the PF's PCI address, its
// SR-IOV limits (sriov_totalvfs, sriov_numvfs) and for each virtfn<i> link the VF's PCI address,
// the driver bound to it and its netdev. A VF netdev moved into a container's network namespace
// is not listed under virtfn<i>/net/ (sysfs shows the netdevs of the reader's namespace only).
import { ParseError, excerpt } from '../parse/parse-error.ts';

export interface VirtfnEntry {
  index: number;
  pci: string;
  /** Name of the bound driver (ixgbevf), or null when no driver is bound. */
  driver: string | null;
  /** The VF's netdev in this network namespace, or null (not created yet, or in a container). */
  netdev: string | null;
}

export interface SysfsSurvey {
  /** False when /sys/class/net/<pf>/device does not exist (no such netdev, or not a device). */
  found: boolean;
  pci: string | null;
  /** null when the device has no SR-IOV capability (no sriov_totalvfs file). */
  totalVfs: number | null;
  numVfs: number | null;
  /** By index. */
  vfs: VirtfnEntry[];
}

// Constant script, the PF name is its only argument ("$1"): no value is pasted into it.
// Output: "pci ADDR", "total N|-", "num N|-", then "vf INDEX PCI DRIVER|- NETDEV|-" per VF.
const SCRIPT = `d=/sys/class/net/$1/device
if [ ! -e "$d" ]; then echo missing; exit 0; fi
p=$(readlink "$d"); echo "pci \${p##*/}"
echo "total $(cat "$d/sriov_totalvfs" 2>/dev/null || echo -)"
echo "num $(cat "$d/sriov_numvfs" 2>/dev/null || echo -)"
for l in "$d"/virtfn*; do
  [ -e "$l" ] || continue
  p=$(readlink "$l")
  drv=-
  if [ -e "$l/driver" ]; then drv=$(readlink "$l/driver"); drv=\${drv##*/}; fi
  net=-
  for n in "$l"/net/*; do if [ -e "$n" ]; then net=\${n##*/}; break; fi; done
  echo "vf \${l##*/virtfn} \${p##*/} $drv $net"
done`;

export function sysfsSurveyArgv(pf: string): string[] {
  return ['sh', '-c', SCRIPT, 'sh', pf];
}

function int(field: string | undefined, line: string): number {
  if (field === undefined || !/^\d+$/.test(field)) throw new ParseError(`unexpected sysfs survey line: ${excerpt(line)}`);
  return Number(field);
}

/** A count, or null where sysfs has no such file ("-"). */
const count = (field: string | undefined, line: string): number | null => (field === '-' ? null : int(field, line));

export function parseSysfsSurvey(text: string): SysfsSurvey {
  const survey: SysfsSurvey = { found: true, pci: null, totalVfs: null, numVfs: null, vfs: [] };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [kind, ...fields] = line.trim().split(/\s+/);
    if (kind === 'missing') return { ...survey, found: false };
    if (kind === 'pci') survey.pci = fields[0] ?? null;
    else if (kind === 'total') survey.totalVfs = count(fields[0], line);
    else if (kind === 'num') survey.numVfs = count(fields[0], line);
    else if (kind === 'vf' && fields.length === 4) {
      const [index, pci, driver, netdev] = fields as [string, string, string, string];
      survey.vfs.push({ index: int(index, line), pci, driver: driver === '-' ? null : driver, netdev: netdev === '-' ? null : netdev });
    } else {
      throw new ParseError(`unexpected sysfs survey line: ${excerpt(line)}`, { hint: 'the node needs a POSIX sh with readlink' });
    }
  }
  survey.vfs.sort((a, b) => a.index - b.index);
  return survey;
}
