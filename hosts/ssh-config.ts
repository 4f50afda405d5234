// A small, pure reader of OpenSSH client configuration (~/.ssh/config): the Host blocks and the
// four keys a connection needs (HostName, User, Port, IdentityFile). Like ssh(1), the first value
// obtained for a key wins, so specific Host blocks must come before general ones; IdentityFile
// accumulates. Not supported (skipped): `Match` blocks (their options are not applied) and
// `Include` (the included files are not read).

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

export interface ResolvedSshConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** In the order ssh tries them, `~` and %-tokens expanded. */
  identityFiles: string[];
}

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
    } else {
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

  const resolved: ResolvedSshConfig = { identityFiles: [] };
  const hostName = value('hostname');
  resolved.hostName = hostName ? expandTokens(hostName.value, { h: alias, '%': '%' }, hostName.where) : undefined;
  resolved.user = value('user')?.value;
  const port = value('port');
  if (port) {
    const n = Number(port.value);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new UsageError(`${port.where}: Port ${JSON.stringify(port.value)} is not a port number`, { hint: 'use a number from 1 to 65535' });
    }
    resolved.port = n;
  }
  const tokens = { d: context.home, h: resolved.hostName ?? alias, r: resolved.user ?? context.localUser, u: context.localUser, '%': '%' };
  for (const option of identities) {
    for (const arg of option.args) {
      if (arg.toLowerCase() === 'none') continue;
      resolved.identityFiles.push(expandTokens(expandHome(arg, context.home), tokens, option.where));
    }
  }
  return resolved;
}

/** Whether `name` is written literally (no wildcard, not negated) in some Host line. */
export function isHostAlias(blocks: readonly SshConfigBlock[], name: string): boolean {
  return blocks.some((b) => b.applies && b.patterns.some((p) => p.toLowerCase() === name.toLowerCase()));
}
