// Host key verification in OpenSSH's known_hosts format. Pure parts (parse, match, judge,
// fingerprint) and the file-backed verifier used by SshHost: trust on first use with pins in
// `<stateDir>/known_hosts` (the user's ~/.ssh/known_hosts, hashed or not, also counts as known),
// or strict verification against one given file.

import { createHash, createHmac } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HostKeyError } from '../core/errors.ts';
import { writeFileAtomicSync } from '../state/atomic-file.ts';
import { matchHostname } from './ssh-patterns.ts';

export interface KnownHostLine {
  marker?: '@revoked' | '@cert-authority';
  /** Comma-separated host patterns, or one `|1|salt|hash` hashed name. */
  hosts: string;
  keyType: string;
  /** The public key blob, base64 as written. */
  key: string;
  /** Where it came from, for messages: "FILE:LINE". */
  origin: string;
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` elsewhere. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written at the start of an SSH public key blob ("ssh-ed25519"). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) throw new Error('malformed SSH public key: too short');
  const length = keyBlob.readUInt32BE(0);
  if (length > keyBlob.length - 4) throw new Error('malformed SSH public key: bad type length');
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

function isKeyOfType(base64: string, keyType: string): boolean {
  try {
    return keyTypeOf(Buffer.from(base64, 'base64')) === keyType;
  } catch {
    return false;
  }
}

/** Parses known_hosts text. Lines that are empty, comments or malformed are skipped, as ssh does. */
export function parseKnownHosts(text: string, source: string): KnownHostLine[] {
  const lines: KnownHostLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostLine['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostLine['marker'];
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined || !isKeyOfType(key, keyType)) return;
    lines.push({ ...(marker ? { marker } : {}), hosts, keyType, key, origin: `${source}:${index + 1}` });
  });
  return lines;
}

/** Whether a known_hosts line names this host token (plain patterns or a hashed `|1|` name). */
export function lineMatchesHost(line: KnownHostLine, token: string): boolean {
  if (line.hosts.startsWith('|1|')) {
    const [, , salt, hash] = line.hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
  }
  return matchHostname(token, line.hosts.split(','));
}

export type HostKeyVerdict =
  | { status: 'known'; line: KnownHostLine }
  | { status: 'unknown' }
  | { status: 'changed'; previous: KnownHostLine[] }
  | { status: 'revoked'; line: KnownHostLine };

/**
 * Judges an offered key against the lines that name its host. Any other known key for the host
 * (also of another type) makes the offered one "changed": a different key type is no excuse.
 */
export function judgeHostKey(lines: readonly KnownHostLine[], offered: Buffer): HostKeyVerdict {
  const offeredBase64 = offered.toString('base64');
  const revoked = lines.find((l) => l.marker === '@revoked' && l.key === offeredBase64);
  if (revoked) return { status: 'revoked', line: revoked };
  const plain = lines.filter((l) => l.marker === undefined);
  const same = plain.find((l) => l.key === offeredBase64);
  if (same) return { status: 'known', line: same };
  return plain.length === 0 ? { status: 'unknown' } : { status: 'changed', previous: plain };
}

const ALGORITHMS_OF_KEY_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Host key algorithms to ask for first, so a server with several keys presents one we know (what
 * ssh does with HostKeyAlgorithms). Unknown or unsupported types are left out.
 */
export function preferredHostKeyAlgorithms(lines: readonly KnownHostLine[]): string[] {
  const algorithms = lines.filter((l) => l.marker === undefined).flatMap((l) => ALGORITHMS_OF_KEY_TYPE[l.keyType] ?? []);
  return [...new Set(algorithms)];
}

function describe(line: KnownHostLine): string {
  return `${fingerprint(Buffer.from(line.key, 'base64'))} (${line.keyType}, ${line.origin})`;
}

export interface HostKeyPolicy {
  /**
   * Strict mode: verify against these files only (the inventory's knownHosts, or ssh_config's
   * StrictHostKeyChecking yes with its known_hosts files); unknown hosts are refused, nothing is written.
   */
  knownHostsFiles?: readonly string[];
  /** Trust on first use (when knownHostsFiles is not set): pins are written to this file. */
  pinFile: string;
  /** More known_hosts files that count as known in TOFU mode (the user's ~/.ssh/known_hosts). */
  trustedFiles: readonly string[];
  /** Replace a changed pin instead of refusing (the CLI's --accept-new-host-key). */
  acceptChangedHostKey: boolean;
  /** Told when a changed key is accepted and its pin replaced, and what a dry run would pin. */
  onWarning?: (message: string) => void;
  /**
   * --dry-run: nothing is written. A key a real run would pin is accepted for this process only
   * (kept here, in memory) and reported as "would be pinned"; everything else is judged as in a real run.
   */
  dryRun?: { pins: KnownHostLine[] };
}

/** One connection attempt's check: prepared before the handshake, decided synchronously in it. */
export interface HostKeyCheck {
  /** For ssh2's `algorithms.serverHostKey` (remove, then prepend). */
  readonly preferredAlgorithms: string[];
  /** ssh2's hostVerifier (called with the raw key blob). */
  verify(key: Buffer): boolean;
  /** Why verify refused, once it has. */
  refusal(): HostKeyError | undefined;
  /** After a successful handshake: pin a new key or replace a changed one (TOFU mode). */
  commit(): Promise<void>;
}

async function readIfPresent(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

// Writes to one pin file are serialised within the process (hosts connect in parallel).
const pinFileQueues = new Map<string, Promise<void>>();

function serialised(file: string, work: () => Promise<void>): Promise<void> {
  const next = (pinFileQueues.get(file) ?? Promise.resolve()).then(work, work);
  pinFileQueues.set(file, next.catch(() => undefined));
  return next;
}


/** Rewrites the pin file with every line for `token` replaced by one line with the new key. */
async function pin(pinFile: string, token: string, key: Buffer): Promise<void> {
  await serialised(pinFile, async () => {
    const text = await readIfPresent(pinFile);
    const kept = text.split('\n').filter((raw) => {
      const [line] = parseKnownHosts(raw, pinFile);
      return raw.trim() !== '' && !(line && line.marker === undefined && lineMatchesHost(line, token));
    });
    kept.push(`${token} ${keyTypeOf(key)} ${key.toString('base64')}`);
    await mkdir(dirname(pinFile), { recursive: true, mode: 0o700 });
    writeFileAtomicSync(pinFile, `${kept.join('\n')}\n`, 0o600);
  });
}

/** A dry run's pin: in memory for this process, and said. */
async function wouldPin(policy: HostKeyPolicy, dryRun: { pins: KnownHostLine[] }, token: string, key: Buffer, who: string): Promise<void> {
  dryRun.pins.push({ hosts: token, keyType: keyTypeOf(key), key: key.toString('base64'), origin: 'this dry run' });
  policy.onWarning?.(`the host key of ${who} is not known yet: ${fingerprint(key)} (${keyTypeOf(key)}) would be pinned in ${policy.pinFile} by a real run; --dry-run pins nothing`);
}

/** Reads the policy's files for one host and returns the check for its next handshake. */
export async function prepareHostKeyCheck(policy: HostKeyPolicy, hostName: string, address: string, port: number): Promise<HostKeyCheck> {
  const token = hostToken(address, port);
  const strict = policy.knownHostsFiles !== undefined && policy.knownHostsFiles.length > 0 ? policy.knownHostsFiles : undefined;
  const files = strict ?? [policy.pinFile, ...policy.trustedFiles];
  const lines: KnownHostLine[] = [];
  for (const file of files) {
    lines.push(...parseKnownHosts(await readIfPresent(file), file).filter((l) => lineMatchesHost(l, token)));
  }
  if (!strict && policy.dryRun) lines.push(...policy.dryRun.pins.filter((l) => lineMatchesHost(l, token)));
  let refusal: HostKeyError | undefined;
  let pending: (() => Promise<void>) | undefined;
  const who = `${hostName} (${token})`;

  return {
    preferredAlgorithms: preferredHostKeyAlgorithms(lines),
    refusal: () => refusal,
    commit: async () => pending?.(),
    verify(key: Buffer): boolean {
      const verdict = judgeHostKey(lines, key);
      const offered = `${fingerprint(key)} (${keyTypeOf(key)})`;
      switch (verdict.status) {
        case 'known':
          return true;
        case 'revoked':
          refusal = new HostKeyError(`the host key of ${who} is revoked: ${offered} is marked @revoked in ${verdict.line.origin}`, {
            hint: 'the node must get a new host key; this one must never be trusted',
          });
          return false;
        case 'unknown':
          if (strict) {
            refusal = new HostKeyError(`the host key of ${who} is not in ${strict.join(', ')}: it offered ${offered}`, {
              hint: `check the fingerprint with the node's administrator, then add the key (ssh-keyscan -p ${port} ${address} >> ${strict[0]}), or remove knownHosts from the inventory (StrictHostKeyChecking yes from ~/.ssh/config) to pin keys on first use`,
            });
            return false;
          }
          pending = () => (policy.dryRun ? wouldPin(policy, policy.dryRun, token, key, who) : pin(policy.pinFile, token, key));
          return true;
        case 'changed': {
          const previous = verdict.previous.map(describe).join(', ');
          const message = `the host key of ${who} has changed: known ${previous}, offered ${offered}`;
          if (strict) {
            refusal = new HostKeyError(message, {
              hint: `if the node was reinstalled, check the new fingerprint with its administrator and update ${strict[0]} (ssh-keygen -R '${token}' -f ${strict[0]}); otherwise someone may be intercepting the connection`,
            });
            return false;
          }
          if (!policy.acceptChangedHostKey) {
            refusal = new HostKeyError(message, {
              hint: 'if the node was reinstalled and you trust the new key, run again with --accept-new-host-key to replace the pinned key; otherwise someone may be intercepting the connection',
            });
            return false;
          }
          if (policy.dryRun) {
            refusal = new HostKeyError(message, {
              hint: 'a dry run replaces no pin: check the new fingerprint with the node\'s administrator, then run without --dry-run and with --accept-new-host-key',
            });
            return false;
          }
          pending = async () => {
            await pin(policy.pinFile, token, key);
            policy.onWarning?.(`${message}; accepted (--accept-new-host-key), pin replaced in ${policy.pinFile}`);
          };
          return true;
        }
      }
    },
  };
}
