// `mstconfig -d DEV query [PARAM...]` (mstflint): the device's firmware configuration, one row per
// parameter under "Configurations:", whose columns are "Next Boot" (plain query) or "Default
// Current Next Boot" (-e). Rows start with '*' when next differs from default/current and may
// carry "RO" (read-only); the widths differ between mstflint releases (4.x: a 9-column indent,
// 16-wide values, as captured in k8snetworkplumbingwg/sriov-network-operator#358 and #492; current
// mlxcfg_ui.cpp: 8 and 20). Values print as NAME(n) for enums (True(1)), else as numbers.
import { ParseError, excerpt } from './parse-error.ts';

export interface MstconfigParam {
  name: string;
  /** Numeric values by column ("Next Boot", "Current", "Default"); null where not a number. */
  values: Record<string, number | null>;
}

export interface MstconfigQuery {
  deviceType: string | null;
  device: string | null;
  params: MstconfigParam[];
}

/** "True(1)" → 1, "8" → 8, "Array[0..7]" → null. */
function numeric(text: string): number | null {
  const inParens = /\((\d+)\)$/.exec(text);
  if (inParens) return Number(inParens[1]);
  return /^\d+$/.test(text) ? Number(text) : null;
}

export function parseMstconfigQuery(text: string): MstconfigQuery {
  const out: MstconfigQuery = { deviceType: null, device: null, params: [] };
  let columns: string[] | null = null;
  for (const line of text.split('\n')) {
    // mstflint prints "PCI device:" for a PCI address, MFT's mlxconfig "Device:" for /dev/mst/….
    const field = /^(Device type|Device|PCI device):\s+(\S.*?)\s*$/.exec(line);
    if (field && columns === null) {
      if (field[1] === 'Device type') out.deviceType = field[2] ?? null;
      else out.device = field[2] ?? null;
      continue;
    }
    if (line.startsWith('Configurations:')) {
      columns = line.slice('Configurations:'.length).trim().split(/\s{2,}/).filter((c) => c !== '');
      // A plain query has one value column, the next boot's (its header has been seen trimmed off).
      if (columns.length === 0) columns = ['Next Boot'];
      continue;
    }
    if (columns === null || line.trim() === '' || !/^[ *]/.test(line)) continue;
    const row = /^[* ]\s*(?:RO\s+)?([A-Z][A-Za-z0-9_]*(?:\[\d+\])?)\s+(\S.*)$/.exec(line);
    if (!row) continue;
    const cells = (row[2] ?? '').trim().split(/\s+/);
    const values: Record<string, number | null> = {};
    columns.forEach((c, i) => (values[c] = cells[i] === undefined ? null : numeric(cells[i])));
    out.params.push({ name: row[1] ?? '', values });
  }
  if (columns === null) {
    throw new ParseError(`mstconfig query printed no "Configurations:" table: ${excerpt(text)}`, {
      hint: 'run `mstconfig -d <pci address> query` on the node: is this a Mellanox/NVIDIA device, and is mstflint installed?',
    });
  }
  return out;
}

/** The next-boot value of `name`, or undefined when the query does not list it. */
export function nextBoot(query: MstconfigQuery, name: string): number | null | undefined {
  const p = query.params.find((x) => x.name === name);
  return p === undefined ? undefined : (p.values['Next Boot'] ?? null);
}
