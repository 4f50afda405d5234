// Where a lab node keeps its kernel params, read on the node with the node's own files (not the
// tool's parsers): every BLS entry's `options` line and /etc/kernel/cmdline (alma9), or the linux
// line of the entry grub.cfg boots by default (a GRUB menu), found by the lab firmware's reader.
import { parseGrubConfig, resolveEntry } from '../../lab/grub.ts';
import { onNode, type Lab } from './lab-fixture.ts';

export async function blsParamsOnNode(lab: Lab): Promise<{ where: string; params: string }[]> {
  const lines = await onNode(lab, ['sh', '-c', 'grep -H "^options " /boot/loader/entries/*.conf']);
  const entries = lines
    .trim()
    .split('\n')
    .filter((l) => !l.includes('/sriov-lxc-trial.conf:'))
    .map((l) => ({ where: l.slice(0, l.indexOf(':')), params: l.slice(l.indexOf(':options ') + ':options '.length) }));
  const kernelCmdline = (await onNode(lab, ['cat', '/etc/kernel/cmdline'])).trim();
  return [...entries, { where: '/etc/kernel/cmdline', params: kernelCmdline }];
}

export async function grubDefaultEntryParamsOnNode(lab: Lab, grubCfg: string, defaultRef = '0'): Promise<{ where: string; params: string }[]> {
  const entry = resolveEntry(parseGrubConfig(await onNode(lab, ['cat', grubCfg])).menu, defaultRef);
  return [{ where: `${grubCfg}'s default entry "${entry?.title}"`, params: entry?.linux?.args ?? '' }];
}
