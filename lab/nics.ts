// The NIC models a lab can carry, read from lab/node/nics.conf: the one table of NIC facts that the
// node's shims (lspci, ip, kmod, sysfs, mstconfig) read too. Pure apart from reading that file once.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type NicModel = string;
export type NicFacts = Readonly<Record<string, string>>;

const CONF = fileURLToPath(new URL('./node/nics.conf', import.meta.url));

/** `[model]` sections of `key=value` lines; `#` lines are comments. */
export function parseNicTable(text: string): Map<NicModel, NicFacts> {
  const table = new Map<NicModel, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = {};
      table.set(section[1] ?? '', current);
      continue;
    }
    const kv = /^([a-z_0-9]+)=(.*)$/.exec(line);
    if (kv && current) current[kv[1] ?? ''] = kv[2] ?? '';
  }
  return table;
}

const TABLE = parseNicTable(readFileSync(CONF, 'utf8'));

export const NIC_MODELS: readonly NicModel[] = [...TABLE.keys()];
export const DEFAULT_NIC: NicModel = '82599';

export function nicFacts(model: NicModel): NicFacts {
  const facts = TABLE.get(model);
  if (!facts) throw new Error(`--nic ${model}: choose one of ${NIC_MODELS.join(', ')}`);
  return facts;
}
