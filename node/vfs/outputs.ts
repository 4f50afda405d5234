// The outputs of vf-verify as later stages read them from the checkpoint (ctx.outputs): which
// netdev and PCI function each planned VF is, and its MAC as the PF reports it.
import { FatalError } from '../../core/errors.ts';
import type { Iproute } from '../facts/iproute.ts';
import type { RecordedOutputs } from '../../core/outputs.ts';
import type { VfReport } from './assess.ts';

export const VF_VERIFY_ID = 'vf-verify';

export type VfVerifyOutputs = {
  /** The node's iproute2 as vf-verify found it (mac-reset and container-create read it back). */
  iproute: Iproute;
  pfs: { name: string; pci: string | null; vfs: VfReport[] }[];
};

function isVfReport(v: unknown): v is VfReport {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.index === 'number' && typeof r.pci === 'string'
    && (r.netdev === null || typeof r.netdev === 'string') && (r.mac === null || typeof r.mac === 'string');
}

function isOutputs(o: Readonly<Record<string, unknown>>): o is Readonly<Record<string, unknown>> & VfVerifyOutputs {
  return Array.isArray(o.pfs) && o.pfs.every((pf: unknown) => {
    if (typeof pf !== 'object' || pf === null) return false;
    const p = pf as Record<string, unknown>;
    return typeof p.name === 'string' && Array.isArray(p.vfs) && p.vfs.every(isVfReport);
  });
}

/** vf-verify's VFs from the checkpoint, when it has run. */
export function recordedVfs(outputs: RecordedOutputs): Pick<VfVerifyOutputs, 'pfs'> | undefined {
  const o = outputs[VF_VERIFY_ID];
  return o !== undefined && isOutputs(o) ? { pfs: o.pfs } : undefined;
}

/** vf-verify's VFs from the checkpoint; a clear error when that stage has not run. */
export function readVfVerifyOutputs(outputs: RecordedOutputs): Pick<VfVerifyOutputs, 'pfs'> {
  const vfs = recordedVfs(outputs);
  if (vfs === undefined) {
    throw new FatalError(`the outputs of ${VF_VERIFY_ID} are missing from the checkpoint: it tells which netdev each VF is`, {
      hint: `run the ${VF_VERIFY_ID} stage first (--only ${VF_VERIFY_ID}, or --from ${VF_VERIFY_ID})`,
    });
  }
  return vfs;
}

/** The VF `index` of `pf` in vf-verify's outputs. */
export function findVf(outputs: Pick<VfVerifyOutputs, 'pfs'>, pf: string, index: number): VfReport | undefined {
  return outputs.pfs.find((p) => p.name === pf)?.vfs.find((v) => v.index === index);
}
