// A reader of OpenSSH client configuration that resolves a host as ssh(1) 9.x does
// (readconf.c, ssh.c at V_9_2_P1): ~/.ssh/config, then /etc/ssh/ssh_config, their `Include`d files
// in place (relative paths under ~/.ssh or /etc/ssh, globs sorted), `Host` and `Match` lines
// switching what applies; the first value obtained for a key wins, IdentityFile accumulates.
// `Match` is evaluated as ssh evaluates it (all, host, originalhost, user, localuser, canonical
// and final with ssh's second pass, `!` negation); criteria sriov-lxc cannot evaluate (exec: it
// runs no commands from a config file; localnetwork, tagged) are refused by name when they would
// decide a block. Every keyword ssh knows is either implemented here, harmless for sriov-lxc
// (it neither changes where it connects nor whom it trusts), or refused by name with its line
// when set to anything but its default: never dropped silently.

import { createHash } from 'node:crypto';
import { globSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { matchGlob, matchHostname, matchPatternList } from './ssh-patterns.ts';

export interface SshConfigOption {
  /** Keyword, lower-cased ("hostname"). */
  key: string;
  args: string[];
  /** "FILE line N", for messages. */
  where: string;
}

/** One line of a file; an Include line carries the files it included, in glob order. */
export interface SshConfigLine extends SshConfigOption {
  included?: SshConfigFile[];
}

export interface SshConfigFile {
  path: string;
  lines: SshConfigLine[];
}

/** The files ssh reads, in its order (the user's, then the system's). */
export interface SshConfig {
  files: SshConfigFile[];
}

/** One hop of a ProxyJump list: what ssh passes as `-l USER -p PORT HOST` to the ssh it runs for that hop. */
export interface ProxyJumpSpec {
  /** A host name, address or Host alias (resolved again through the config). */
  host: string;
  user?: string;
  port?: number;
  where: string;
}

/** IdentityAgent as ssh(1) uses it: the agent of $SSH_AUTH_SOCK, none, or a socket (expanded). */
export type IdentityAgent = { kind: 'environment'; where: string } | { kind: 'none'; where: string } | { kind: 'socket'; path: string; where: string };

/** yes: verify against the known_hosts files only; accept-new / ask / no: see hosts/connect.ts. */
export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'ask' | 'no';

/** An algorithm list for ssh2: the exact list, or changes to its default list. */
export type AlgorithmList = string[] | { append?: string[]; prepend?: string[]; remove?: string[] };

/** ssh2's names: kex, cipher, hmac, serverHostKey. */
export interface SshAlgorithms {
  kex?: AlgorithmList;
  cipher?: AlgorithmList;
  hmac?: AlgorithmList;
  serverHostKey?: AlgorithmList;
}

export interface ResolvedSshConfig {
  /** The name ssh connects to, when it is not the alias as given: HostName with %h expanded, lower-cased unless an address (ssh.c). */
  hostName?: string;
  user?: string;
  port?: number;
  /** In the order ssh tries them, `~` and %-tokens expanded. */
  identityFiles: string[];
  /** IdentitiesOnly yes: the IdentityFile only, never every key the agent holds. */
  identitiesOnly?: { where: string };
  /** The jump hosts in the order they are connected to (ssh's `ProxyJump first,…,last`). */
  proxyJump?: ProxyJumpSpec[];
  identityAgent?: IdentityAgent;
  strictHostKeyChecking?: { value: StrictHostKeyChecking; where: string };
  /** `~` and %-tokens expanded. */
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  connectTimeoutSeconds?: number;
  serverAliveIntervalSeconds?: number;
  serverAliveCountMax?: number;
  /** KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms. */
  algorithms?: SshAlgorithms;
  /** AddressFamily inet / inet6. */
  family?: 4 | 6;
}

/**
 * Options sriov-lxc does not implement and that change the destination, the way there, the
 * authentication or the trust: given a value that is not the harmless default, refused with
 * the reason and the fix. An empty `harmless` list: any value is refused.
 */
const REFUSED: Readonly<Record<string, { name: string; harmless: readonly string[]; why: string }>> = {
  proxycommand: { name: 'ProxyCommand', harmless: ['none'], why: 'sriov-lxc does not run proxy commands; use ProxyJump [user@]host[:port] instead (sriov-lxc opens the jump connection itself)' },
  proxyusefdpass: { name: 'ProxyUseFdpass', harmless: ['no'], why: 'it only works with ProxyCommand, which sriov-lxc does not run; use ProxyJump' },
  hostkeyalias: { name: 'HostKeyAlias', harmless: [], why: 'it changes the name host keys are looked up under, which sriov-lxc does not do; remove it for this host' },
  knownhostscommand: { name: 'KnownHostsCommand', harmless: ['none'], why: 'sriov-lxc does not run commands to find host keys; list the keys in a UserKnownHostsFile' },
  verifyhostkeydns: { name: 'VerifyHostKeyDNS', harmless: ['no'], why: 'sriov-lxc does not check SSHFP records; list the keys in a UserKnownHostsFile' },
  canonicalizehostname: { name: 'CanonicalizeHostname', harmless: ['no'], why: 'sriov-lxc does not canonicalise names; write the full name in HostName' },
  canonicalizepermittedcnames: { name: 'CanonicalizePermittedCNAMEs', harmless: ['none'], why: 'ssh follows DNS CNAMEs with it, sriov-lxc does not; write the name to connect to in HostName' },
  remotecommand: { name: 'RemoteCommand', harmless: ['none'], why: 'sriov-lxc runs its own commands on the node; remove it for this host' },
  bindaddress: { name: 'BindAddress', harmless: [], why: 'sriov-lxc does not choose the source address of its connections; remove it for this host or reach the node from a machine whose route is the right one' },
  bindinterface: { name: 'BindInterface', harmless: [], why: 'sriov-lxc does not choose the source interface of its connections; remove it for this host' },
  certificatefile: { name: 'CertificateFile', harmless: ['none'], why: 'sriov-lxc does not authenticate with certificates; give it a plain key (IdentityFile or key: in the inventory) that the node accepts' },
  pubkeyacceptedalgorithms: { name: 'PubkeyAcceptedAlgorithms', harmless: [], why: 'sriov-lxc does not restrict the signature algorithms of its own key; remove it for this host' },
  pubkeyacceptedkeytypes: { name: 'PubkeyAcceptedKeyTypes', harmless: [], why: 'sriov-lxc does not restrict the signature algorithms of its own key; remove it for this host' },
  pubkeyauthentication: { name: 'PubkeyAuthentication', harmless: ['yes', 'unbound', 'host-bound'], why: 'sriov-lxc authenticates with keys only' },
  revokedhostkeys: { name: 'RevokedHostKeys', harmless: ['none'], why: 'sriov-lxc does not read revocation lists; mark the keys @revoked in a known_hosts file instead' },
  requiredrsasize: { name: 'RequiredRSASize', harmless: ['1024'], why: 'sriov-lxc does not check RSA key sizes; remove it for this host, or give the node an Ed25519 host key and HostKeyAlgorithms ssh-ed25519' },
  pkcs11provider: { name: 'PKCS11Provider', harmless: ['none'], why: 'sriov-lxc does not use PKCS#11 tokens; load the key into ssh-agent (ssh-add -s) and use agent: true' },
  securitykeyprovider: { name: 'SecurityKeyProvider', harmless: ['internal'], why: 'sriov-lxc does not use FIDO security keys directly; use ssh-agent' },
  smartcarddevice: { name: 'SmartcardDevice', harmless: [], why: 'sriov-lxc does not use smartcards; use ssh-agent' },
};

/** Keywords sriov-lxc reads itself. */
const IMPLEMENTED = new Set([
  'host', 'match', 'include', 'hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'proxyjump', 'stricthostkeychecking',
  'userknownhostsfile', 'globalknownhostsfile', 'connecttimeout', 'serveraliveinterval', 'serveralivecountmax',
  'kexalgorithms', 'ciphers', 'macs', 'hostkeyalgorithms', 'addressfamily', 'identityagent',
]);

// Keywords ssh knows (readconf.c's table) that neither send sriov-lxc elsewhere nor change
// whom it trusts: forwardings, terminal and logging settings, other authentication methods (sriov-lxc
// uses keys only), connection sharing (sriov-lxc opens its own), and ssh's deprecated and
// unsupported keywords, which ssh itself ignores.
const HARMLESS = new Set([
  'protocol', 'cipher', 'fallbacktorsh', 'globalknownhostsfile2', 'rhostsauthentication', 'userknownhostsfile2', 'useroaming', 'usersh',
  'useprivilegedport', 'afstokenpassing', 'kerberosauthentication', 'kerberostgtpassing', 'rsaauthentication', 'rhostsrsaauthentication',
  'compressionlevel', 'gssapiauthentication', 'gssapidelegatecredentials', 'forwardagent', 'exitonforwardfailure', 'xauthlocation',
  'gatewayports', 'passwordauthentication', 'kbdinteractiveauthentication', 'kbdinteractivedevices', 'challengeresponseauthentication',
  'skeyauthentication', 'tisauthentication', 'dsaauthentication', 'hostbasedauthentication', 'addkeystoagent', 'remoteforward', 'localforward',
  'permitremoteopen', 'escapechar', 'connectionattempts', 'batchmode', 'checkhostip', 'compression', 'tcpkeepalive', 'keepalive',
  'numberofpasswordprompts', 'syslogfacility', 'loglevel', 'logverbose', 'dynamicforward', 'preferredauthentications', 'casignaturealgorithms',
  'clearallforwardings', 'enablesshkeysign', 'nohostauthenticationforlocalhost', 'rekeylimit', 'sendenv', 'setenv', 'controlpath',
  'controlmaster', 'controlpersist', 'hashknownhosts', 'tunnel', 'tunneldevice', 'localcommand', 'permitlocalcommand', 'visualhostkey',
  'ipqos', 'requesttty', 'sessiontype', 'stdinnull', 'forkafterauthentication', 'canonicaldomains', 'canonicalizefallbacklocal',
  'canonicalizemaxdots', 'streamlocalbindmask', 'streamlocalbindunlink', 'fingerprinthash', 'updatehostkeys', 'hostbasedacceptedalgorithms',
  'hostbasedkeytypes', 'ignoreunknown', 'enableescapecommandline', 'identityfile2', 'usekeychain',
]);

/** ssh_config keyword → ssh2's algorithm list. */
const ALGORITHM_OPTIONS: Readonly<Record<string, { name: string; ssh2: keyof SshAlgorithms; supported: string }>> = {
  kexalgorithms: { name: 'KexAlgorithms', ssh2: 'kex', supported: 'SUPPORTED_KEX' },
  ciphers: { name: 'Ciphers', ssh2: 'cipher', supported: 'SUPPORTED_CIPHER' },
  macs: { name: 'MACs', ssh2: 'hmac', supported: 'SUPPORTED_MAC' },
  hostkeyalgorithms: { name: 'HostKeyAlgorithms', ssh2: 'serverHostKey', supported: 'SUPPORTED_SERVER_HOST_KEY' },
};

// The algorithms node-ssh's ssh2 implements (its protocol/constants.js): a list naming others cannot be honoured.
const ssh2Constants = createRequire(createRequire(import.meta.url).resolve('node-ssh'))('ssh2/lib/protocol/constants.js') as Record<string, string[]>;

export interface ExpansionContext {
  /** Home directory of the local user (for `~` and %d). */
  home: string;
  /** Name of the local user (%u, Match localuser, Match user before User is set). */
  localUser: string;
  /** This machine's host name (%l, %L, %C): os.hostname() unless told. */
  localHost?: string;
  /** The local user's uid (%i): process.getuid() unless told. */
  uid?: number;
  /** For ${VAR} and IdentityAgent $VAR: process.env unless told. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What ssh's command line sets before any file is read (first value wins): how ssh runs itself for a jump hop (`-l USER -p PORT -J REST HOST`). */
export interface CommandLineOptions {
  user?: string;
  port?: number;
  proxyJump?: ProxyJumpSpec[];
}

/**
 * Splits the arguments of one line as OpenSSH's argv_split does (misc.c at V_9_2_P1, after
 * readconf.c strips trailing blanks and form feeds): blanks and tabs separate, '…' and "…" quote
 * (inside a word too: a"b c"d is one word), \' \" \\ and, outside quotes, "\ " escape (any other
 * backslash stays), a `#` starting a word ends the line.
 */
function splitArgs(text: string, where: string): string[] {
  const line = text.replace(/[ \t\r\n\f]+$/, '');
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ' || line[i] === '\t') {
      i++;
      continue;
    }
    if (line[i] === '#') break;
    let arg = '';
    let quote = '';
    for (; i < line.length; i++) {
      const c = line.charAt(i);
      const next = line.charAt(i + 1);
      if (c === '\\') {
        if (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' ')) i++;
        arg += line.charAt(i);
      } else if (quote === '' && (c === ' ' || c === '\t')) break;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = '';
      else arg += c;
    }
    if (quote !== '') throw new UsageError(`${where}: unterminated quote`, { hint: 'close the quote or remove it' });
    args.push(arg);
  }
  return args;
}

export interface ParseOptions {
  /** Reads the files an Include names (a glob, anchored as ssh anchors it); without it Include is refused. */
  include?: (pattern: string, where: string, depth: number) => SshConfigFile[];
  depth?: number;
}

/** Parses the text of one ssh_config file. `source` names the file in errors. */
export function parseSshConfigFile(text: string, source: string, options: ParseOptions = {}): SshConfigFile {
  const lines: SshConfigLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${source} line ${index + 1}`;
    const match = /^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(raw);
    if (!match) {
      if (raw.trim() === '' || raw.trim().startsWith('#')) return;
      throw new UsageError(`${where}: cannot read ${JSON.stringify(raw.trim())}`, { hint: 'each line must be "Keyword value"' });
    }
    const key = (match[1] ?? '').toLowerCase();
    const args = splitArgs(match[2] ?? '', where);
    if ((key === 'host' || key === 'match') && args.length === 0) throw new UsageError(`${where}: ${key === 'host' ? 'Host' : 'Match'} needs at least one ${key === 'host' ? 'pattern' : 'criterion'}`);
    if (key === 'include') {
      if (!options.include) {
        throw new UsageError(`${where}: Include is not supported here`, { hint: 'copy the included Host blocks into this file' });
      }
      const depth = options.depth ?? 0;
      if (depth >= 16) throw new UsageError(`${where}: too many nested Includes (ssh stops at 16)`, { hint: 'remove the Include loop' });
      const included = args.flatMap((pattern) => options.include!(pattern, where, depth + 1));
      lines.push({ key, args, where, included });
      return;
    }
    lines.push({ key, args, where });
  });
  return { path: source, lines };
}

/** One file's text as a whole config (tests, and callers with no Include to follow). */
export function parseSshConfig(text: string, source = '~/.ssh/config'): SshConfig {
  return { files: [parseSshConfigFile(text, source)] };
}

export interface SshConfigPaths {
  /** The local user's home: ~/.ssh/config, and `~` in paths. */
  home: string;
  /** /etc/ssh/ssh_config unless told (tests). */
  systemFile?: string;
  /** Where the system file's relative Includes are: /etc/ssh unless told. */
  systemDir?: string;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the ssh configuration ${path}: ${(error as Error).message}`, { hint: 'make it readable, or remove it' });
  }
}

/** ~/.ssh/config then the system's ssh_config, with their Includes, as ssh reads them. */
export function loadSshConfig(paths: SshConfigPaths): SshConfig {
  const userDir = join(paths.home, '.ssh');
  const systemDir = paths.systemDir ?? '/etc/ssh';
  const reader = (user: boolean) => {
    const include = (pattern: string, where: string, depth: number): SshConfigFile[] => {
      if (pattern.startsWith('~') && !user) throw new UsageError(`${where}: bad include path ${pattern} (a system file may not use ~)`, { hint: 'write an absolute path' });
      const anchored = pattern.startsWith('~/') ? join(paths.home, pattern.slice(2)) : isAbsolute(pattern) ? pattern : join(user ? userDir : systemDir, pattern);
      return globSync(anchored).sort().flatMap((file) => {
        const text = readOptional(file);
        return text === undefined ? [] : [parseSshConfigFile(text, file, { include, depth })];
      });
    };
    return include;
  };
  const files: SshConfigFile[] = [];
  const userFile = join(userDir, 'config');
  const userText = readOptional(userFile);
  if (userText !== undefined) files.push(parseSshConfigFile(userText, userFile, { include: reader(true) }));
  const systemFile = paths.systemFile ?? join(systemDir, 'ssh_config');
  const systemText = readOptional(systemFile);
  if (systemText !== undefined) files.push(parseSshConfigFile(systemText, systemFile, { include: reader(false) }));
  return { files };
}

/**
 * percent_dollar_expand (misc.c): `%x` from `tokens`, `%%`, and with `dollar` `${VAR}` from the
 * environment; an unknown token, a `%` at the end or an unset variable is refused as ssh refuses it.
 */
function expandTokens(value: string, tokens: Readonly<Record<string, string>>, where: string, env?: ExpansionContext['env']): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (env && c === '$' && value.charAt(i + 1) === '{') {
      const end = value.indexOf('}', i + 2);
      if (end < 0) throw new UsageError(`${where}: the environment variable in ${JSON.stringify(value)} has no closing }`);
      const name = value.slice(i + 2, end);
      const v = env[name];
      if (name === '' || v === undefined) throw new UsageError(`${where}: \${${name}} has no value in the environment`, { hint: `set ${name || 'the variable'} or write the path literally` });
      out += v;
      i = end;
    } else if (c !== '%') {
      out += c;
    } else {
      const t = value.charAt(++i);
      const replacement = t === '%' ? '%' : tokens[t];
      if (replacement === undefined) {
        throw new UsageError(`${where}: the token %${t} is not supported`, { hint: `use a literal path, ~ or ${Object.keys(tokens).map((k) => `%${k}`).join(', ')} or %%` });
      }
      out += replacement;
    }
  }
  return out;
}

/** tilde_expand (misc.c): `~` and `~/…` are the local user's home; another user's is refused. */
function expandHome(path: string, context: ExpansionContext, where: string): string {
  if (!path.startsWith('~')) return path;
  const slash = path.indexOf('/');
  const user = slash < 0 ? path.slice(1) : path.slice(1, slash);
  if (user !== '' && user !== context.localUser) {
    throw new UsageError(`${where}: ~${user} names another user's home, which sriov-lxc does not look up`, { hint: 'write the path in full' });
  }
  const rest = slash < 0 ? '' : path.slice(slash).replace(/^\/+/, '');
  return `${context.home.replace(/\/$/, '')}/${rest}`;
}

/** The tokens ssh expands in IdentityFile, UserKnownHostsFile and IdentityAgent (DEFAULT_CLIENT_PERCENT_EXPAND_ARGS, sshconnect.h). */
function clientTokens(alias: string, host: string, port: number, user: string, context: ExpansionContext): Record<string, string> {
  const thisHost = context.localHost ?? hostname();
  return {
    C: createHash('sha1').update(`${thisHost}${host}${port}${user}`).digest('hex'),
    L: thisHost.split('.')[0] ?? thisHost,
    i: String(context.uid ?? process.getuid?.() ?? 0),
    // %k is HostKeyAlias when set; sriov-lxc refuses HostKeyAlias, so it is always the name given.
    k: alias,
    l: thisHost,
    n: alias,
    p: String(port),
    d: context.home,
    h: host,
    r: user,
    u: context.localUser,
  };
}

/** What one pass over the files obtained: first value per key, IdentityFile in order. */
interface Obtained {
  first: Map<string, SshConfigOption>;
  identities: SshConfigOption[];
  wantFinalPass: boolean;
}

/**
 * `Match` as match_cfg_line evaluates it (also where the block cannot apply, `decides` false: ssh
 * evaluates every Match line, so a `final` there still asks for the final pass); refuses an
 * attribute ssh 9.2 does not know, and `exec` where it would decide the block.
 */
function evaluateMatch(line: SshConfigLine, alias: string, got: Obtained, finalPass: boolean, finalHost: string, context: ExpansionContext, decides: boolean): boolean {
  const hostNameOption = got.first.get('hostname');
  const host = finalPass ? finalHost : hostNameOption ? expandTokens(hostNameOption.args[0] ?? alias, { h: alias }, hostNameOption.where) : alias;
  const remoteUser = got.first.get('user')?.args[0] ?? context.localUser;
  const args = [...line.args];
  let result = true;
  let attributes = 0;
  while (args.length > 0) {
    const raw = args.shift()!;
    const negate = raw.startsWith('!');
    const criterion = (negate ? raw.slice(1) : raw).toLowerCase();
    if (criterion === 'all') {
      // match_cfg_line: one attribute may come before `all` (ssh 9.2 accepts `Match host a all`), none after.
      if (attributes > 1 || args.length > 0) throw new UsageError(`${line.where}: '${raw}' cannot be combined with other Match attributes`);
      return result && !negate;
    }
    attributes++;
    const test = (matched: boolean): void => {
      if (matched === negate) result = false;
    };
    if (criterion === 'canonical' || criterion === 'final') {
      if (criterion === 'final') got.wantFinalPass = true;
      test(finalPass);
      continue;
    }
    const value = args.shift();
    if (value === undefined) throw new UsageError(`${line.where}: Match ${raw} needs an argument`);
    if (criterion === 'host') test(matchHostname(host, value.split(',')));
    else if (criterion === 'originalhost') test(matchHostname(alias, value.split(',')));
    else if (criterion === 'user') test(matchPatternList(remoteUser, value.split(',')));
    else if (criterion === 'localuser') test(matchPatternList(context.localUser, value.split(',')));
    else if (criterion === 'exec') {
      // ssh skips `exec` once the line cannot match; in a never-matching Include it runs it, but the block cannot apply.
      if (!result || !decides) continue;
      throw new UsageError(`${line.where}: Match exec is not supported by sriov-lxc: it runs no commands from ssh_config, so it cannot tell whether this block applies to ${alias}`, {
        hint: 'write the block as Host or Match host/user for the hosts sriov-lxc reaches, or give those hosts their own Host block before it',
      });
    } else {
      // ssh 9.2 refuses the whole file for an attribute it does not know (localnetwork and tagged came later), matching or not.
      throw new UsageError(`${line.where}: Match ${criterion} cannot be evaluated by sriov-lxc, so it cannot tell whether this block applies to ${alias}`, {
        hint: 'use Match host, originalhost, user, localuser, all, canonical or final, or a Host block',
      });
    }
  }
  return result;
}

const TIME_KEYS = new Set(['connecttimeout', 'serveraliveinterval']);

/** One pass over the files, as read_config_file does it; Host lines match `finalHost`, which is the alias in the first pass. */
function readPass(config: SshConfig, alias: string, got: Obtained, finalPass: boolean, finalHost: string, context: ExpansionContext): void {
  const walk = (lines: readonly SshConfigLine[], neverMatch: boolean, active: boolean): boolean => {
    for (const line of lines) {
      if (line.key === 'host') {
        // match_pattern: case as written (ssh lower-cases the name only for the final pass).
        active = !neverMatch && matchPatternList(finalHost, line.args);
      } else if (line.key === 'match') {
        active = evaluateMatch(line, alias, got, finalPass, finalHost, context, !neverMatch) && !neverMatch;
      } else if (line.key === 'include') {
        // Included files start where the Include is; their Host/Match lines never match when it is inactive.
        for (const file of line.included ?? []) walk(file.lines, neverMatch || !active, active);
      } else if (active) {
        if (line.key === 'identityfile' || line.key === 'identityfile2') got.identities.push(line);
        // ssh 9.2 (ssh -G): ProxyCommand is ignored once a ProxyJump other than none was read, and ProxyJump once a ProxyCommand (even none) was.
        else if (line.key === 'proxycommand' && got.first.has('proxyjump') && got.first.get('proxyjump')?.args[0]?.toLowerCase() !== 'none') continue;
        else if (line.key === 'proxyjump' && got.first.has('proxycommand')) continue;
        // parse_time: `none` leaves the value unset (-1), so a later line still sets it.
        else if (TIME_KEYS.has(line.key) && line.args.length === 1 && line.args[0] === 'none') continue;
        else if (!got.first.has(line.key)) got.first.set(line.key, line);
      }
    }
    return active;
  };
  for (const file of config.files) walk(file.lines, false, true);
}

/** An ssh_config algorithm list as ssh2 takes it; names ssh2 lacks are refused. */
function algorithmList(option: SshConfigOption, spec: { name: string; supported: string }): AlgorithmList {
  const text = single(option);
  const sign = /^[+^-]/.test(text) ? text.charAt(0) : '';
  const names = text.slice(sign.length).split(',').filter((n) => n !== '');
  const supported = new Set(ssh2Constants[spec.supported] ?? []);
  if (sign === '-') {
    // ssh allows patterns in a removal list only: they remove every algorithm they match.
    return { remove: [...supported].filter((a) => names.some((n) => matchGlob(a, n))) };
  }
  if (names.some((n) => /[*?!]/.test(n))) {
    throw new UsageError(`${option.where}: ${spec.name} ${text}: sriov-lxc does not expand patterns in algorithm lists`, { hint: `list the algorithms by name; sriov-lxc knows ${[...supported].join(',')}` });
  }
  const unknown = names.filter((n) => !supported.has(n));
  if (unknown.length > 0) {
    throw new UsageError(`${option.where}: ${spec.name} names ${unknown.join(', ')}, which sriov-lxc's SSH library (ssh2) does not implement, so it cannot connect the way ssh would`, {
      hint: `use only ${[...supported].join(',')} for this host, or remove ${spec.name}`,
    });
  }
  if (sign === '+') return { append: names };
  if (sign === '^') return { prepend: names };
  return names;
}

/** The one value of an option: ssh refuses a keyword with no value ("no argument after keyword") or more ("extra arguments at end of line"). */
function single(option: SshConfigOption): string {
  if (option.args.length !== 1 || option.args[0] === undefined) throw new UsageError(`${option.where}: ${option.key} takes exactly one value`);
  return option.args[0];
}

function yesNo(option: SshConfigOption, name: string): boolean {
  const v = single(option).toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw new UsageError(`${option.where}: ${name} ${JSON.stringify(option.args[0] ?? '')} is not yes or no`);
}

/** Refuses what sriov-lxc does not implement and would change the connection, naming option and line. */
function refuseUnimplemented(first: ReadonlyMap<string, SshConfigOption>, identities: readonly SshConfigOption[]): void {
  for (const option of [...first.values(), ...identities]) {
    if (IMPLEMENTED.has(option.key) || HARMLESS.has(option.key)) continue;
    const refused = REFUSED[option.key];
    if (refused) {
      const value = option.args.join(' ');
      if (refused.harmless.some((h) => h.toLowerCase() === value.toLowerCase())) continue;
      throw new UsageError(`${option.where}: ${refused.name} ${value} is not supported by sriov-lxc: it changes where or how it connects, or which host keys it trusts`, { hint: refused.why });
    }
    throw new UsageError(`${option.where}: ${option.key} is not an ssh_config option sriov-lxc knows, so it cannot tell whether it changes where or how ssh connects`, {
      hint: 'remove it for the hosts sriov-lxc reaches (ssh itself refuses unknown options too)',
    });
  }
}

/**
 * The options that apply to `alias`, as ssh(1) computes them: the files in order, Host and
 * Match lines deciding what applies, a second pass when a `Match final` asked for one, first
 * value per key wins, IdentityFile values accumulate (`none` is skipped).
 */
export function resolveSshConfig(config: SshConfig, alias: string, context: ExpansionContext, commandLine: CommandLineOptions = {}): ResolvedSshConfig {
  const got: Obtained = { first: new Map(), identities: [], wantFinalPass: false };
  const given = 'the command line of the jump';
  if (commandLine.user !== undefined) got.first.set('user', { key: 'user', args: [commandLine.user], where: given });
  if (commandLine.port !== undefined) got.first.set('port', { key: 'port', args: [String(commandLine.port)], where: given });
  // -J: read first, so the hop's own ProxyJump and ProxyCommand are ignored (the list is taken as given below).
  if (commandLine.proxyJump !== undefined) got.first.set('proxyjump', { key: 'proxyjump', args: [commandLine.proxyJump.map((j) => j.host).join(',')], where: given });
  readPass(config, alias, got, false, alias, context);
  const hostNameOption = got.first.get('hostname');
  // ssh.c lower-cases the host name it connects to and reads the final pass for, an address excepted (is_addr).
  const expandedHost = lowerUnlessAddress(hostNameOption ? expandTokens(single(hostNameOption), { h: alias }, hostNameOption.where) : alias);
  if (got.wantFinalPass) readPass(config, alias, got, true, expandedHost, context);
  const { first, identities } = got;
  refuseUnimplemented(first, identities);
  const value = (key: string): { value: string; where: string } | undefined => {
    const option = first.get(key);
    return option ? { value: single(option), where: option.where } : undefined;
  };

  const resolved: ResolvedSshConfig = { identityFiles: [] };
  // ssh connects to `foo` for `ssh FOO` (and looks `foo` up in known_hosts): a name other than the alias.
  resolved.hostName = hostNameOption || expandedHost !== alias ? expandedHost : undefined;
  resolved.user = value('user')?.value;
  const port = value('port');
  if (port) resolved.port = portNumber(port.value, port.where, 'Port');
  const env = context.env ?? process.env;
  const tokens = clientTokens(alias, expandedHost, resolved.port ?? 22, resolved.user ?? context.localUser, context);
  const expandPath = (path: string, where: string) => expandTokens(expandHome(path, context, where), tokens, where, env);
  for (const option of identities) {
    const arg = single(option);
    if (arg.toLowerCase() === 'none') continue;
    const file = expandPath(arg, option.where);
    // ssh ignores a duplicate (add_identity_file), e.g. one read again by the final pass.
    if (!resolved.identityFiles.includes(file)) resolved.identityFiles.push(file);
  }
  const identitiesOnly = first.get('identitiesonly');
  if (identitiesOnly && yesNo(identitiesOnly, 'IdentitiesOnly')) resolved.identitiesOnly = { where: identitiesOnly.where };

  // ssh -J on the command line (how ssh runs itself for a hop) wins over every file.
  const jump = commandLine.proxyJump === undefined ? value('proxyjump') : undefined;
  if (commandLine.proxyJump !== undefined) resolved.proxyJump = commandLine.proxyJump;
  else if (jump && jump.value.toLowerCase() !== 'none') resolved.proxyJump = parseProxyJump(jump.value, jump.where);
  const agent = value('identityagent');
  if (agent) resolved.identityAgent = identityAgent(agent.value, agent.where, (path) => expandPath(path, agent.where), env);
  const strict = value('stricthostkeychecking');
  if (strict) resolved.strictHostKeyChecking = { value: strictValue(strict.value, strict.where), where: strict.where };
  // `none` is no file (ssh.c); ssh expands ~, tokens and ${VAR} in UserKnownHostsFile only.
  const files = (key: string, expand: boolean): string[] | undefined => {
    const option = first.get(key);
    if (!option) return undefined;
    // readconf.c: `none` (any case) must appear alone (else ssh would read a file named none).
    const none = option.args.filter((f) => f.toLowerCase() === 'none').length;
    if (none > 0 && option.args.length > 1) throw new UsageError(`${option.where}: ${option.key} "none" must appear alone`, { hint: 'write none alone (no known_hosts file) or list only files' });
    if (none > 0) return [];
    return option.args.map((f) => (expand ? expandPath(f, option.where) : f));
  };
  resolved.userKnownHostsFiles = files('userknownhostsfile', true);
  resolved.globalKnownHostsFiles = files('globalknownhostsfile', false);
  const time = (key: string, name: string): number | undefined => {
    const v = value(key);
    if (!v) return undefined;
    const n = convtime(v.value);
    if (n === undefined) throw new UsageError(`${v.where}: ${name} ${JSON.stringify(v.value)} is not a time as ssh reads it`, { hint: `write seconds (90) or with units (1m30s; s, m, h, d, w), or none, in the ssh_config file` });
    return n;
  };
  // ConnectTimeout 0 is no timeout for ssh (a blocking connect): sriov-lxc keeps its own then.
  const connectTimeout = time('connecttimeout', 'ConnectTimeout');
  if (connectTimeout !== 0) resolved.connectTimeoutSeconds = connectTimeout;
  resolved.serverAliveIntervalSeconds = time('serveraliveinterval', 'ServerAliveInterval');
  const countMax = value('serveralivecountmax');
  if (countMax) {
    // atoi_err: strtonum(…, 0, INT_MAX), leading blanks and a sign allowed.
    const n = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(countMax.value) ? Number(countMax.value) : Number.NaN;
    if (!(n >= 0 && n <= INT_MAX)) throw new UsageError(`${countMax.where}: ServerAliveCountMax ${JSON.stringify(countMax.value)} is not a whole number from 0 to ${INT_MAX}`, { hint: 'fix ServerAliveCountMax in the ssh_config file' });
    resolved.serverAliveCountMax = n;
  }
  const algorithms: SshAlgorithms = {};
  for (const [key, spec] of Object.entries(ALGORITHM_OPTIONS)) {
    const option = first.get(key);
    if (option) algorithms[spec.ssh2] = algorithmList(option, spec);
  }
  if (Object.keys(algorithms).length > 0) resolved.algorithms = algorithms;
  const family = value('addressfamily');
  if (family) {
    const f = family.value.toLowerCase();
    if (f === 'inet') resolved.family = 4;
    else if (f === 'inet6') resolved.family = 6;
    else if (f !== 'any') throw new UsageError(`${family.where}: AddressFamily ${JSON.stringify(family.value)} is not any, inet or inet6`);
  }
  for (const key of Object.keys(resolved) as (keyof ResolvedSshConfig)[]) if (resolved[key] === undefined) delete resolved[key];
  return resolved;
}

const INT_MAX = 2 ** 31 - 1;
const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * convtime (misc.c at V_9_2_P1): `90`, `1m30s`, `2H`: whole numbers, each with a unit s m h d w
 * (either case; none on the last one means seconds), at most INT_MAX in all; undefined where ssh
 * says "invalid time value".
 */
function convtime(text: string): number | undefined {
  if (text === '') return undefined;
  let total = 0;
  let rest = text;
  while (rest !== '') {
    // strtol: leading blanks and a sign; a negative number is invalid.
    const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)([smhdw]?)/i.exec(rest);
    if (!m || (m[1] === '-' && Number(m[2]) !== 0)) return undefined;
    rest = rest.slice(m[0].length);
    const unit = (m[3] ?? '').toLowerCase();
    if (unit === '' && rest !== '') return undefined;
    total += Number(m[2]) * (TIME_UNITS[unit] ?? 1);
    if (total > INT_MAX) return undefined;
  }
  return total;
}

function lowerUnlessAddress(host: string): string {
  return isIP(host) === 0 ? host.toLowerCase() : host;
}

/** a2port (misc.c): a decimal number from 1 to 65535 (strtonum: leading blanks and a sign allowed; no 0x16, no 1e3). */
function portNumber(text: string, where: string, name: string): number {
  const n = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= 65535)) {
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

/**
 * IdentityAgent (readconf.c, ssh.c at V_9_2_P1): `SSH_AUTH_SOCK` and `$SSH_AUTH_SOCK` keep the
 * agent of the environment, `none` uses no agent, `$VAR` (not `${`) is the socket named by that
 * variable (none when it is unset), anything else is a socket path with ~, %-tokens and ${VAR}
 * expanded.
 */
function identityAgent(text: string, where: string, expand: (path: string) => string, env: Readonly<Record<string, string | undefined>>): IdentityAgent {
  if (text === 'SSH_AUTH_SOCK' || text === '$SSH_AUTH_SOCK') return { kind: 'environment', where };
  if (text === 'none') return { kind: 'none', where };
  if (text.startsWith('$') && !text.startsWith('${')) {
    const name = text.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`${where}: IdentityAgent ${text}: ${JSON.stringify(name)} is not an environment variable name`);
    const socket = env[name];
    return socket === undefined ? { kind: 'none', where } : { kind: 'socket', path: socket, where };
  }
  return { kind: 'socket', path: expand(text), where };
}

/**
 * One hop as ssh 9.2 reads it (misc.c): `ssh://[user[;params]@]host[:port][/]` (parse_uri: the
 * user URL-decoded, the host a domain name or IPv4 address, no path), else
 * `[user@]host[:port]` or `[user@][v6]:port` (parse_user_host_port: the user up to the last `@`).
 * ssh also takes a service name as the port; sriov-lxc asks for the number.
 */
function parseHop(text: string, where: string): ProxyJumpSpec {
  const bad = (): UsageError => new UsageError(`${where}: cannot read the jump host ${JSON.stringify(text)}`, { hint: 'write each hop as [user@]host[:port] or ssh://[user@]host[:port], hops separated by commas' });
  const uri = text.startsWith('ssh://');
  let rest = uri ? text.slice('ssh://'.length) : text;
  const at = uri ? rest.indexOf('@') : rest.lastIndexOf('@');
  let user: string | undefined;
  if (at >= 0) {
    user = uri ? rest.slice(0, at).split(';')[0]! : rest.slice(0, at);
    if (user === '') throw bad();
    if (uri) {
      try {
        user = decodeURIComponent(user);
      } catch {
        throw bad();
      }
    }
    rest = rest.slice(at + 1);
  }
  const m = uri ? /^([^:/]*)(?::([^/]*))?\/?$/.exec(rest) : /^(?:\[([^\]]*)\]|([^:/[\]]*))(?::(.*))?$/.exec(rest);
  const host = uri ? m?.[1] : (m?.[1] ?? m?.[2]);
  const portText = uri ? m?.[2] : m?.[3];
  if (!host || (uri && (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host) || host.includes('..')))) throw bad();
  const port = portText === undefined || portText === '' ? undefined : portNumber(portText, where, 'ProxyJump port');
  return { host: uri ? host.replace(/\.$/, '') : host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}), where };
}

/** A ProxyJump value: hops separated by commas, in the order they are connected to. */
export function parseProxyJump(text: string, where: string): ProxyJumpSpec[] {
  return text.split(',').map((hop) => parseHop(hop, where));
}

/** One jump host as ssh reaches it: its own ssh_config block with the hop's user and port. */
export interface JumpHop {
  spec: ProxyJumpSpec;
  config: ResolvedSshConfig;
}

/** Most hops sriov-lxc follows: a ProxyJump loop in ssh_config would otherwise never end (ssh forks ssh forever). */
const MAX_HOPS = 8;

/**
 * The jump hosts of a resolved host, first connected first, as ssh(1) 9.2 builds them (ssh.c):
 * for `ProxyJump a,b` it runs `ssh -l USER -p PORT -J a -W HOST:PORT b`, so the last hop is
 * resolved through the config with the hop's user and port and the rest of the list as its
 * ProxyJump; a single hop's own ProxyJump in ssh_config applies in turn.
 */
export function resolveJumpChain(config: SshConfig, target: ResolvedSshConfig, context: ExpansionContext): JumpHop[] {
  const hops: JumpHop[] = [];
  let jump = target.proxyJump;
  while (jump !== undefined && jump.length > 0) {
    const spec = jump[jump.length - 1]!;
    if (hops.length === MAX_HOPS) {
      throw new UsageError(`${spec.where}: more than ${MAX_HOPS} jump hosts (${hops.map((h) => h.spec.host).join(' ← ')} ← ${spec.host}): a ProxyJump loop in ssh_config?`, { hint: 'give the jump hosts a route that ends, e.g. ProxyJump none for the first one' });
    }
    const rest = jump.slice(0, -1);
    const hop = resolveSshConfig(config, spec.host, context, { ...(spec.user !== undefined ? { user: spec.user } : {}), ...(spec.port !== undefined ? { port: spec.port } : {}), ...(rest.length > 0 ? { proxyJump: rest } : {}) });
    hops.unshift({ spec, config: hop });
    jump = hop.proxyJump;
  }
  return hops;
}

/** Whether `name` is written literally (no wildcard, not negated) on some Host line, in any file read. */
export function isHostAlias(config: SshConfig, name: string): boolean {
  const inLines = (lines: readonly SshConfigLine[]): boolean =>
    lines.some((l) => (l.key === 'host' && l.args.includes(name)) || (l.included ?? []).some((f) => inLines(f.lines)));
  return config.files.some((f) => inLines(f.lines));
}
