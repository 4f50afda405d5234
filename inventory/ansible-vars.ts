// The inventory taken from Ansible variables (the collection in ansible/ passes them on standard
// input with --ansible-vars -, so they are never written to a file): per host, its connection variables (ansible_host, ansible_port,
// ansible_user, ansible_ssh_private_key_file) and one variable per inventory field, named
// sriov_lxc_ + the field in snake_case (sriov_lxc_pfs, sriov_lxc_kernel_params, ...). Group vars
// then act as the inventory's `defaults` and host vars replace them key by key, as there. The
// values are validated by the inventory's own loader; its problems name the Ansible variable.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument, stringify } from 'yaml';
import { UsageError } from '../core/errors.ts';
import { formatPath, inventoryFromValue, type LoadOptions, type Path } from './load.ts';
import type { Inventory } from './plan.ts';
import { hostSchema } from './schema.ts';

export const VAR_PREFIX = 'sriov_lxc_';
/** The collection's own settings (command, state dir, the controller role's): not plan fields. */
export const SETTINGS_PREFIX = 'sriov_lxc_controller_';

/** Inventory fields that Ansible's connection variables give. */
const CONNECTION_VARS: Readonly<Record<string, string>> = {
  address: 'ansible_host',
  port: 'ansible_port',
  user: 'ansible_user',
  key: 'ansible_ssh_private_key_file',
};

const snake = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The Ansible variable of each inventory field. */
export const ANSIBLE_VARS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys(hostSchema.shape).map((field) => [field, CONNECTION_VARS[field] ?? `${VAR_PREFIX}${snake(field)}`]),
);

const FIELD_OF_VAR = new Map(Object.entries(ANSIBLE_VARS).map(([field, name]) => [name, field]));

/** The name of the Ansible variable (and the path inside it) behind an inventory path. */
export function ansibleVarName(path: Path): string {
  const [top, host, field, ...rest] = path;
  if (top !== 'hosts' || host === undefined) return formatPath(path);
  if (field === undefined) return `host ${host}`;
  const name = ANSIBLE_VARS[String(field)] ?? String(field);
  return `${name}${rest.length > 0 ? formatPath(rest).replace(/^(?=[^[])/, '.') : ''}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The inventory of `vars` (host name → that host's variables). Variables that are neither a
 * connection variable nor sriov_lxc_* are ignored, and so are the collection's settings
 * (sriov_lxc_controller_*); an unknown sriov_lxc_* variable is an error.
 */
export function inventoryFromAnsibleVars(vars: unknown, source: string, options: LoadOptions = {}): Inventory {
  const problems: string[] = [];
  const hosts: Record<string, Record<string, unknown>> = {};
  if (!isRecord(vars) || Object.keys(vars).length === 0) {
    problems.push('must map each host name to its variables, e.g. {"node1": {"ansible_host": "10.0.0.5", "sriov_lxc_pfs": [...]}}');
  } else {
    for (const [host, hostVars] of Object.entries(vars)) {
      if (!isRecord(hostVars)) {
        problems.push(`host ${host}: its variables must be a mapping`);
        continue;
      }
      // Ansible's default for ansible_host is the inventory name.
      const fields: Record<string, unknown> = { address: host };
      for (const [name, value] of Object.entries(hostVars)) {
        const field = FIELD_OF_VAR.get(name);
        if (field !== undefined) fields[field] = value;
        else if (name.startsWith(VAR_PREFIX) && !name.startsWith(SETTINGS_PREFIX)) problems.push(`${name} (host ${host}): unknown variable (check its spelling)`);
      }
      hosts[host] = fields;
    }
  }
  if (problems.length > 0) {
    throw new UsageError(`invalid Ansible variables (${source}):\n  ${problems.join('\n  ')}`, {
      hint: `the plan's variables are sriov_lxc_ + an inventory field in snake_case: ${[...FIELD_OF_VAR.keys()].filter((n) => n.startsWith(VAR_PREFIX)).join(', ')}; the collection's own settings start with ${SETTINGS_PREFIX}`,
    });
  }
  return inventoryFromValue({ hosts }, source, {
    ...options,
    naming: {
      title: `Ansible variables (${source})`,
      field: ansibleVarName,
      hint: 'fix the host or group variables named above; inventory.example.yaml documents each field (variable: sriov_lxc_ + the field in snake_case)',
    },
  });
}

/**
 * Reads --ansible-vars FILE (JSON or YAML), or standard input for `-`. Relative local paths (keys,
 * driver tarballs) start from the working directory: the collection runs the tool in the
 * playbook's directory.
 */
export function loadAnsibleVars(file: string, options: LoadOptions = {}, readStdin: () => string = () => readFileSync(0, 'utf8')): Inventory {
  const fromStdin = file === '-';
  const path = fromStdin ? 'standard input' : resolve(file);
  if (!fromStdin && !existsSync(path)) throw new UsageError(`Ansible variables file not found: ${path}`, { hint: 'pass --ansible-vars FILE with the hosts\' variables as JSON, or - to read them from standard input' });
  const doc = parseDocument(fromStdin ? readStdin() : readFileSync(path, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new UsageError(`invalid JSON/YAML in ${path}:\n  ${doc.errors.map((e) => e.message.split('\n')[0]).join('\n  ')}`, { hint: 'write the variables as one JSON object' });
  }
  return inventoryFromAnsibleVars(doc.toJS({ maxAliasCount: 100 }), path, { baseDir: process.cwd(), ...options });
}

/**
 * An sriov-lxc inventory (its plain values, as read from the file) as an Ansible inventory:
 * group `group` with the fields every host has alike (after `defaults`) as group vars, the others
 * as host vars, each under its Ansible variable. Pure; values are not validated here.
 */
export function ansibleInventoryOf(raw: { defaults?: Record<string, unknown>; hosts: Record<string, Record<string, unknown>> }, group: string, groupVars: Record<string, unknown> = {}): string {
  const merged = Object.entries(raw.hosts).map(([name, h]) => [name, { ...raw.defaults, ...h }] as const);
  const fields = new Set(merged.flatMap(([, h]) => Object.keys(h)));
  const shared = [...fields].filter((f) => merged.every(([, h]) => f in h && isDeepStrictEqual(h[f], merged[0]![1][f])));
  const varsOf = (h: Record<string, unknown>, keep: (f: string) => boolean) =>
    Object.fromEntries(Object.entries(h).filter(([f]) => keep(f)).map(([f, v]) => [ANSIBLE_VARS[f] ?? f, v]));
  const hosts = Object.fromEntries(merged.map(([name, h]) => [name, varsOf(h, (f) => !shared.includes(f))]));
  const vars = { ...(merged.length > 0 ? varsOf(merged[0]![1], (f) => shared.includes(f)) : {}), ...groupVars };
  return stringify({ all: { children: { [group]: { vars, hosts } } } }, { lineWidth: 0, aliasDuplicateObjects: false });
}
