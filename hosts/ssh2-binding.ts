// ssh2's native cipher binding (sshcrypto.node): whether the one installed may be used.
//
// Node 24.19.0 put cleanup hooks into `node::ObjectWrap` (nodejs/node#63642), a header-only class
// compiled into each addon, without the runtime side that makes them safe: a binding built
// against 24.19.0 or later 24.x headers aborts the whole process ("RemoveEnvironmentCleanupHook
// ... Assertion failed: (env) != nullptr") the first time the garbage collector frees one of its
// cipher objects, on every 24.x runtime (nodejs/node#65446, open; mscdex/ssh2#1511). For us that
// is a controller killed mid-run, whenever a GC happens after a connection closed. Built against
// 24.18.1 headers the binding runs cleanly on later 24.x runtimes (same NODE_MODULE_VERSION, 137),
// the mitigation given in #65446. So: a binding compiled with the hooks is tried in a child
// process before we use it, and refused with the fix when it aborts there.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FatalError } from '../core/errors.ts';

/**
 * Whether ssh2 in this process runs its ciphers natively (its sshcrypto.node binding loaded)
 * rather than in JavaScript, where each packet creates an OpenSSL cipher object: about a third of
 * the controller's CPU per node when profiled. ssh2's install builds the binding for the Node that
 * ran the install (node-gyp, that Node's headers); under another Node's ABI it does not load.
 */
export function sshCryptoNative(): boolean {
  const crypto = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: unknown };
  return crypto.bindingAvailable === true;
}

/** The mangled name of the hooked ObjectWrap's cleanup function: compiled in only from 24.19+ (and 26.x) headers. */
const OBJECT_WRAP_HOOK_SYMBOL = '_ZN4node10ObjectWrap11CleanupHookEPv';

/** Where ssh2 loads its binding from (lib/protocol/crypto.js), or undefined when ssh2 is not installed. */
export function ssh2BindingPath(): string | undefined {
  try {
    const ssh2 = dirname(createRequire(import.meta.url).resolve('ssh2/package.json'));
    return join(ssh2, 'lib', 'protocol', 'crypto', 'build', 'Release', 'sshcrypto.node');
  } catch {
    return undefined;
  }
}

/** Whether a compiled addon carries ObjectWrap's cleanup hooks (the headers it was built with had them). */
export function hasObjectWrapHooks(addon: Buffer): boolean {
  return addon.includes(OBJECT_WRAP_HOOK_SYMBOL);
}

/**
 * The Node version whose headers a binding for `runtime` ("24.21.0") is built against: the runtime's
 * own, except on 24.19.0 and later 24.x, where those headers make every ObjectWrap addon abort at
 * GC (nodejs/node#65446): there the last 24.x release before the hooks, 24.18.1.
 */
export function bindingHeadersVersion(runtime: string): string {
  const [major, minor] = runtime.replace(/^v/, '').split('.').map(Number);
  return major === 24 && (minor ?? 0) >= 19 ? '24.18.1' : runtime.replace(/^v/, '');
}

/**
 * absent: no file; unloadable: it does not load here (wrong ABI...), ssh2 falls back by itself;
 * usable: loaded, and the GC freed its ciphers without harm; crashes: the probe's process died;
 * unproven: no GC freed a cipher within the probe's rounds (not seen, so not trusted).
 */
export type BindingProbe = 'absent' | 'unloadable' | 'usable' | 'crashes' | 'unproven';

/** A binding that must not be used: it aborted the probe, or the probe could not show it survives a collection. */
export const isUnsafe = (probe: BindingProbe): boolean => probe === 'crashes' || probe === 'unproven';

export interface BindingVerdict {
  probe: BindingProbe;
  /** What the probe's process printed when it did not exit cleanly (the abort's message). */
  detail: string;
}

// Loads the binding, makes cipher objects (garbage at once) until V8 has run three collections
// of its own, and lives on. The GC must be one V8 starts itself (allocation pressure): a `gc()`
// called from JavaScript runs with a context entered and does not abort even with the hooked
// headers (measured: 1 000 ciphers then gc(), exit 0; 1 500 ciphers and no gc(), abort at the
// first scavenge). A WeakRef cannot tell when a cipher was freed (V8's scavenges keep WeakRef
// targets), the GC's performance entries can. Exit 3: it does not load, which is not a crash
// (ssh2 falls back by itself); exit 4: no collection in 500 rounds.
const PROBE = [
  'let b; try { b = require(process.argv[1]); } catch { process.exit(3); }',
  "const { PerformanceObserver } = require('node:perf_hooks');",
  'let collections = 0;',
  "new PerformanceObserver((list) => { collections += list.getEntries().length; }).observe({ entryTypes: ['gc'] });",
  'let rounds = 0;',
  'const round = () => {',
  '  if (collections >= 3) process.exit(0);',
  '  if (++rounds > 500) process.exit(4);',
  "  for (let i = 0; i < 1000; i++) { new b.AESGCMCipher('aes-128-gcm', Buffer.alloc(16), Buffer.alloc(12)); new Array(64).fill(i); }",
  '  setImmediate(round);',
  '};',
  'setImmediate(round);',
].join('\n');

/** Tries the binding at `path` in a fresh process of `nodePath` (a loaded addon cannot be tried again in this one). */
export function probeBinding(path: string, nodePath: string = process.execPath): BindingVerdict {
  if (!existsSync(path)) return { probe: 'absent', detail: '' };
  const run = spawnSync(nodePath, ['-e', PROBE, path], { encoding: 'utf8', timeout: 60_000 });
  const detail = `${run.stderr ?? ''}`.trim();
  if (run.status === 0) return { probe: 'usable', detail };
  if (run.status === 3) return { probe: 'unloadable', detail };
  if (run.status === 4) return { probe: 'unproven', detail: 'no garbage collection in 500 rounds of 1 000 ciphers' };
  return { probe: 'crashes', detail: detail || `${run.signal ?? `exit ${run.status}`}${run.error ? `: ${run.error.message}` : ''}` };
}

let checked: Promise<void> | undefined;

/**
 * Refuses to go on with a binding that would abort this process at its next GC. Cheap when the
 * binding has no hooks (a read of ~80 kB); otherwise one child process, once per process.
 */
export function assertSsh2BindingSafe(): Promise<void> {
  checked ??= Promise.resolve().then(() => {
    const path = ssh2BindingPath();
    if (path !== undefined) refuseCrashingBinding(path);
  });
  return checked;
}

/** The check itself, for any path (tests give their own). */
export function refuseCrashingBinding(path: string, nodePath: string = process.execPath): void {
  let addon: Buffer;
  try {
    addon = readFileSync(path);
  } catch {
    return; // no binding: ssh2 uses its JavaScript ciphers
  }
  if (!hasObjectWrapHooks(addon)) return;
  const verdict = probeBinding(path, nodePath);
  if (!isUnsafe(verdict.probe)) return;
  const firstLines = verdict.detail.split('\n').filter((line) => line.trim() !== '').slice(0, 2).map((line) => line.trim()).join(' / ');
  throw new FatalError(
    `ssh2's cipher binding ${path} ${verdict.probe === 'crashes' ? 'aborts' : 'was not seen to survive'} Node ${process.version} when the garbage collector frees a cipher (${firstLines}): it was built against Node headers whose ObjectWrap has cleanup hooks (24.19.0 or later 24.x, nodejs/node#65446), and would kill this run at a random point after its first connection`,
    {
      hint: `rebuild it against Node ${bindingHeadersVersion(process.versions.node)}'s headers: run \`npm run postinstall\` in the sriov-lxc checkout or package directory (it does this); or delete ${path}, and ssh2 uses its JavaScript ciphers (correct, slower)`,
    },
  );
}
