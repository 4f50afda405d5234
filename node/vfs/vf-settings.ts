// The per-VF settings of the plan (vlan, qos, max_tx_rate, trust, spoofchk, link state) as
// `ip link set PF vf N ...` words, in the order the drivers need them: after the MAC (Intel's PF
// drivers check a VF's MAC against spoof checking and lock a MAC set from the PF unless the VF is
// trusted, so the MAC goes first and spoofchk after trust), the VLAN before its rate, the link
// state last. Pure: the same words for the stage and for the boot script.
import type { VfSettings } from '../../inventory/plan.ts';
import type { VfInfo } from '../parse/ip-link.ts';

const onOff = (b: boolean): string => (b ? 'on' : 'off');

/** Every planned setting of one VF, each a group of words for one `ip link set PF vf N` call. */
export function settingWords(s: VfSettings): string[][] {
  const out: string[][] = [];
  if (s.vlan !== undefined || s.qos !== undefined) {
    const vlan = s.vlan ?? 0;
    // qos is a priority of the VLAN tag: it needs a VLAN
    out.push(vlan > 0 && s.qos ? ['vlan', String(vlan), 'qos', String(s.qos)] : ['vlan', String(vlan)]);
  }
  if (s.maxTxRate !== undefined) out.push(['max_tx_rate', String(s.maxTxRate)]);
  if (s.trust !== undefined) out.push(['trust', onOff(s.trust)]);
  if (s.spoofchk !== undefined) out.push(['spoofchk', onOff(s.spoofchk)]);
  if (s.linkState !== undefined) out.push(['state', s.linkState]);
  return out;
}

/** The planned settings the PF does not report as set (undefined info: the VF is not there). */
export function settingDrift(s: VfSettings, info: VfInfo | undefined): string[][] {
  return settingWords(s).filter((words) => {
    if (!info) return true;
    switch (words[0]) {
      case 'vlan':
        return info.vlan !== (s.vlan ?? 0) || (info.vlan > 0 && info.qos !== (s.qos ?? 0));
      case 'max_tx_rate':
        return (info.maxTxRate ?? 0) !== s.maxTxRate;
      case 'trust':
        return info.trust !== s.trust;
      case 'spoofchk':
        return info.spoofchk !== s.spoofchk;
      case 'state':
        return info.linkState !== s.linkState;
      default:
        return true;
    }
  });
}
