// A small, pure reader of OpenSSH client configuration (~/.ssh/config): the Host blocks and the
// keys that decide where a connection goes and whom it trusts (ssh_config(5)): HostName, User,
// Port, IdentityFile, ProxyJump, StrictHostKeyChecking, UserKnownHostsFile, GlobalKnownHostsFile,
// ConnectTimeout, ServerAliveInterval, ServerAliveCountMax. Like ssh(1), the first value obtained
// for a key wins, so specific Host blocks must come before general ones; IdentityFile accumulates.
// Options that would send the connection elsewhere or change which host keys are trusted, and
// that sriov-lxc does not implement (ProxyCommand, HostKeyAlias, KnownHostsCommand, ...), are
// refused by name rather than ignored. `Match` blocks are not evaluated: one that sets such an
// option is refused, others are skipped; `Include` is refused (its files would not be read).

import { UsageError } from '../core/errors.ts';
import { matchPatternList } from './ssh-patterns.ts';

export interface SshConfigOption {
  /** Keyword, lower-cased ("hostname"). */
  key: string;
  args: string[];
  /** "FILE line N", for messages. */
  where: string;
}

export interface SshConfigBlock {
  /** Patterns of the `Host` line; `['*']` for options before the first Host line. */
  patterns: string[];
  /** False for a `Match` block, whose conditions we do not evaluate. */
  applies: boolean;
  options: SshConfigOption[];
}

export interface ProxyJumpSpec {
  /** A host name, address or Host alias (resolved again through the config). */
  host: string;
  user?: string;
  port?: number;
  where: string;
}

/** yes: verify against the known_hosts files only; accept-new / ask / no: see hosts/connect.ts. */
export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'ask' | 'no';

export interface ResolvedSshConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** In the order ssh tries them, `~` and %-tokens expanded. */
  identityFiles: string[];
  proxyJump?: ProxyJumpSpec;
  strictHostKeyChecking?: { value: StrictHostKeyChecking; where: string };
  /** `~` and %-tokens expanded. */
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  connectTimeoutSeconds?: number;
  serverAliveIntervalSeconds?: number;
  serverAliveCountMax?: number;
}

/**
 * Options sriov-lxc does not implement and that change the destination or its trust: given a
 * value that is not the harmless default, they are refused with the reason and the fix.
 */
const REFUSED: Readonly<Record<string, { name: string; harmless: readonly string[]; why: string }>> = {
  proxycommand: { name: 'ProxyCommand', harmless: ['none'], why: 'sriov-lxc does not run proxy commands; use ProxyJump [user@]host[:port] instead (sriov-lxc opens the jump connection itself)' },
  proxyusefdpass: { name: 'ProxyUseFdpass', harmless: ['no'], why: 'it only works with ProxyCommand, which sriov-lxc does not run; use ProxyJump' },
  hostkeyalias: { name: 'HostKeyAlias', harmless: [], why: 'it changes the name host keys are looked up under, which sriov-lxc does not do; remove it for this host' },
  knownhostscommand: { name: 'KnownHostsCommand', harmless: ['none'], why: 'sriov-lxc does not run commands to find host keys; list the keys in a UserKnownHostsFile' },
  verifyhostkeydns: { name: 'VerifyHostKeyDNS', harmless: ['no'], why: 'sriov-lxc does not check SSHFP records; list the keys in a UserKnownHostsFile' },
  canonicalizehostname: { name: 'CanonicalizeHostname', harmless: ['no'], why: 'sriov-lxc does not canonicalise names; write the full name in HostName' },
  remotecommand: { name: 'RemoteCommand', harmless: ['none'], why: 'sriov-lxc runs its own commands on the node; remove it for this host' },
};

// Options a `Match` block may not set, since its condition is not evaluated here.
const DESTINATION_OR_TRUST = new Set(['hostname', 'port', 'proxyjump', 'stricthostkeychecking', 'userknownhostsfile', 'globalknownhostsfile', ...Object.keys(REFUSED)]);

export interface ExpansionContext {
  /** Home directory of the local user (for `~` and %d). */
  home: string;
  /** Name of the local user (%u). */
  localUser: string;
}

/** Splits the arguments of one line like OpenSSH's argv_split: whitespace, double quotes, `#` comments. */
function splitArgs(text: string, where: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length || text[i] === '#') break;
    let arg = '';
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new UsageError(`${where}: unterminated quote`, { hint: 'close the double quote or remove it' });
      arg = text.slice(i + 1, end);
      i = end + 1;
    } else {
      while (i < text.length && !/\s/.test(text[i] ?? '')) arg += text[i++];
    }
    args.push(arg);
  }
  return args;
}

/** Parses the text of an ssh_config file into blocks. `source` names the file in errors. */
export function parseSshConfig(text: string, source = '~/.ssh/config'): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [{ patterns: ['*'], applies: true, options: [] }];
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${source} line ${index + 1}`;
    const match = /^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(raw);
    if (!match) {
      if (raw.trim() === '' || raw.trim().startsWith('#')) return;
      throw new UsageError(`${where}: cannot read ${JSON.stringify(raw.trim())}`, { hint: 'each line must be "Keyword value"' });
    }
    const key = (match[1] ?? '').toLowerCase();
    const args = splitArgs(match[2] ?? '', where);
    if (key === 'host') {
      if (args.length === 0) throw new UsageError(`${where}: Host needs at least one pattern`);
      blocks.push({ patterns: args, applies: true, options: [] });
    } else if (key === 'match') {
      blocks.push({ patterns: [], applies: false, options: [] });
    } else if (key === 'include') {
      throw new UsageError(`${where}: Include is not supported by sriov-lxc (the included files could set where it connects and which keys it trusts)`, {
        hint: 'copy the Host blocks sriov-lxc uses into this file, or set address/user/port/key in the inventory and leave sshConfigHost out',
      });
    } else {
      const refusedInMatch = !(blocks.at(-1)?.applies ?? true) && DESTINATION_OR_TRUST.has(key);
      if (refusedInMatch) {
        throw new UsageError(`${where}: ${key} inside a Match block is not supported by sriov-lxc (Match conditions are not evaluated, and ${key} decides where it connects or whom it trusts)`, {
          hint: 'move it into a Host block',
        });
      }
      blocks.at(-1)?.options.push({ key, args, where });
    }
  });
  return blocks;
}

function expandTokens(value: string, tokens: Readonly<Record<string, string>>, where: string): string {
  return value.replace(/%(.)/g, (_, t: string) => {
    const replacement = tokens[t];
    if (replacement === undefined) {
      throw new UsageError(`${where}: the token %${t} is not supported`, { hint: 'use a literal path, ~, %d, %h, %r, %u or %%' });
    }
    return replacement;
  });
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/**
 * The options that apply to `alias`, as ssh(1) would compute them: blocks in file order, first
 * value per key wins, IdentityFile values accumulate (`none` is skipped).
 */
export function resolveSshConfig(blocks: readonly SshConfigBlock[], alias: string, context: ExpansionContext): ResolvedSshConfig {
  const first = new Map<string, SshConfigOption>();
  const identities: SshConfigOption[] = [];
  for (const block of blocks) {
    if (!block.applies || !matchPatternList(alias, block.patterns)) continue;
    for (const option of block.options) {
      if (option.key === 'identityfile') identities.push(option);
      else if (!first.has(option.key)) first.set(option.key, option);
    }
  }
  const value = (key: string): { value: string; where: string } | undefined => {
    const option = first.get(key);
    if (!option) return undefined;
    const { where } = option;
    if (option.args.length !== 1 || option.args[0] === undefined) {
      throw new UsageError(`${where}: ${key} takes exactly one value`);
    }
    return { value: option.args[0], where };
  };

  for (const [key, option] of first) {
    const refused = REFUSED[key];
    if (refused && !refused.harmless.includes((option.args[0] ?? '').toLowerCase())) {
      throw new UsageError(`${option.where}: ${refused.name} ${option.args.join(' ')} is not supported by sriov-lxc: it changes where it connects or which host keys it trusts`, { hint: refused.why });
    }
  }

  const resolved: ResolvedSshConfig = { identityFiles: [] };
  const hostName = value('hostname');
  resolved.hostName = hostName ? expandTokens(hostName.value, { h: alias, '%': '%' }, hostName.where) : undefined;
  resolved.user = value('user')?.value;
  const port = value('port');
  if (port) resolved.port = portNumber(port.value, port.where, 'Port');
  const tokens = { d: context.home, h: resolved.hostName ?? alias, r: resolved.user ?? context.localUser, u: context.localUser, '%': '%' };
  for (const option of identities) {
    for (const arg of option.args) {
      if (arg.toLowerCase() === 'none') continue;
      resolved.identityFiles.push(expandTokens(expandHome(arg, context.home), tokens, option.where));
    }
  }

  const jump = value('proxyjump');
  if (jump && jump.value.toLowerCase() !== 'none') resolved.proxyJump = parseProxyJump(jump.value, jump.where);
  const strict = value('stricthostkeychecking');
  if (strict) resolved.strictHostKeyChecking = { value: strictValue(strict.value, strict.where), where: strict.where };
  const files = (key: string): string[] | undefined => {
    const option = first.get(key);
    return option?.args.map((f) => expandTokens(expandHome(f, context.home), tokens, option.where));
  };
  resolved.userKnownHostsFiles = files('userknownhostsfile');
  resolved.globalKnownHostsFiles = files('globalknownhostsfile');
  const seconds = (key: string, name: string, min: number): number | undefined => {
    const v = value(key);
    if (!v) return undefined;
    const n = Number(v.value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${v.where}: ${name} ${JSON.stringify(v.value)} is not a whole number of at least ${min}`, { hint: `fix ${name} in the ssh_config file` });
    return n;
  };
  resolved.connectTimeoutSeconds = seconds('connecttimeout', 'ConnectTimeout', 1);
  resolved.serverAliveIntervalSeconds = seconds('serveraliveinterval', 'ServerAliveInterval', 0);
  resolved.serverAliveCountMax = seconds('serveralivecountmax', 'ServerAliveCountMax', 1);
  for (const key of Object.keys(resolved) as (keyof ResolvedSshConfig)[]) if (resolved[key] === undefined) delete resolved[key];
  return resolved;
}

function portNumber(text: string, where: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(`${where}: ${name} ${JSON.stringify(text)} is not a port number`, { hint: 'use a number from 1 to 65535' });
  }
  return n;
}

function strictValue(text: string, where: string): StrictHostKeyChecking {
  const v = text.toLowerCase();
  if (v === 'yes' || v === 'true') return 'yes';
  if (v === 'no' || v === 'false' || v === 'off') return 'no';
  if (v === 'accept-new' || v === 'ask') return v;
  throw new UsageError(`${where}: StrictHostKeyChecking ${JSON.stringify(text)} is not yes, accept-new, ask or no`);
}

/** `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`; one hop. */
export function parseProxyJump(text: string, where: string): ProxyJumpSpec {
  if (text.includes(',')) {
    throw new UsageError(`${where}: ProxyJump ${text} names a chain of jump hosts; sriov-lxc supports one`, { hint: 'jump through one host, or give the first jump host its own ProxyJump to the next and reach it by ssh yourself' });
  }
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(?:\[([0-9A-Fa-f:.]+)\]|([^:@\s\[\]]+))(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`${where}: cannot read ProxyJump ${JSON.stringify(text)}`, { hint: 'write it as [user@]host[:port]' });
  return {
    host: m[2] ?? m[3]!,
    ...(m[1] !== undefined ? { user: m[1] } : {}),
    ...(m[4] !== undefined ? { port: portNumber(m[4], where, 'ProxyJump port') } : {}),
    where,
  };
}

/** Whether `name` is written literally (no wildcard, not negated) in some Host line. */
export function isHostAlias(blocks: readonly SshConfigBlock[], name: string): boolean {
  return blocks.some((b) => b.applies && b.patterns.some((p) => p.toLowerCase() === name.toLowerCase()));
}
