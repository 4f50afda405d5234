// ssh2's native cipher binding: a binding that aborts Node when the GC frees a cipher
// (ObjectWrap's cleanup hooks from 24.19.0+ headers, nodejs/node#65446) is found before use.
// The probe runs in a child process; here it is given stand-ins (JavaScript modules, which
// require() loads as it loads an addon) that load, fail to load, or abort partway through the
// probe's allocations, as the hooked binding does at V8's first scavenge.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalError } from '../../../core/errors.ts';
import {
  bindingHeadersVersion,
  hasObjectWrapHooks,
  probeBinding,
  refuseCrashingBinding,
  ssh2BindingPath,
} from '../../../hosts/ssh2-binding.ts';

const HOOK_SYMBOL = '_ZN4node10ObjectWrap11CleanupHookEPv';

function standIn(t: { teardown: (f: () => void) => void }, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-binding-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sshcrypto.js');
  writeFileSync(path, source);
  return path;
}

const HARMLESS = 'exports.AESGCMCipher = class { constructor(name, key, iv) { this.key = Buffer.from(key); } };\n';
// Aborts after as many ciphers as the real hooked binding lived through (1 000 < n < 1 500, measured).
const ABORTS = "let made = 0;\nexports.AESGCMCipher = class { constructor() { if (++made === 1200) process.abort(); } };\n";

test('headers for the rebuild: 24.18.1 on 24.19.0 and later 24.x, the runtime\'s own elsewhere', (t) => {
  t.is(bindingHeadersVersion('24.21.0'), '24.18.1');
  t.is(bindingHeadersVersion('v24.19.0'), '24.18.1');
  t.is(bindingHeadersVersion('24.18.1'), '24.18.1');
  t.is(bindingHeadersVersion('24.18.0'), '24.18.0');
  t.is(bindingHeadersVersion('22.18.0'), '22.18.0');
  t.is(bindingHeadersVersion('v26.4.0'), '26.4.0');
});

test('the hooked ObjectWrap is recognised by its cleanup function\'s symbol', (t) => {
  t.true(hasObjectWrapHooks(Buffer.from(`\0\x7fELF...${HOOK_SYMBOL}\0_ZN4node28RemoveEnvironmentCleanupHook`)));
  t.false(hasObjectWrapHooks(Buffer.from('\0\x7fELF..._ZN4node10ObjectWrap\0_ZN2v88Isolate10GetCurrentEv')));
});

test('probe: absent, unloadable, usable and aborting bindings are told apart', (t) => {
  t.is(probeBinding(join(tmpdir(), 'sriov-lxc-no-such-binding', 'sshcrypto.node')).probe, 'absent');
  t.is(probeBinding(standIn(t, "throw new Error('wrong ELF class');\n")).probe, 'unloadable');
  t.is(probeBinding(standIn(t, HARMLESS)).probe, 'usable');
  const aborted = probeBinding(standIn(t, ABORTS));
  t.is(aborted.probe, 'crashes');
  t.true(aborted.detail.length > 0, 'says how the probe died');
});

test('an aborting binding with the hooks is refused, with the fix; one without them is not even probed', (t) => {
  const hooked = standIn(t, `${ABORTS}// ${HOOK_SYMBOL}\n`);
  const error = t.throws(() => refuseCrashingBinding(hooked), { instanceOf: FatalError });
  t.regex(error!.message, /aborts Node .* when the garbage collector frees a cipher/);
  t.regex(error!.message, /nodejs\/node#65446/);
  t.regex(String(error!.hint), /npm run postinstall/);
  t.true(String(error!.hint).includes(`delete ${hooked}`), error!.hint);
  // Without the symbol the check costs one read: a binding that would abort is not this hazard.
  t.notThrows(() => refuseCrashingBinding(standIn(t, ABORTS)));
  t.notThrows(() => refuseCrashingBinding(standIn(t, `${HARMLESS}// ${HOOK_SYMBOL}\n`)));
  t.notThrows(() => refuseCrashingBinding(join(tmpdir(), 'sriov-lxc-no-such-binding', 'sshcrypto.node')));
});

test('the binding this checkout installed survives the garbage collector (the postinstall never leaves one that aborts)', (t) => {
  const path = ssh2BindingPath();
  t.truthy(path, 'ssh2 is installed');
  const verdict = probeBinding(path!);
  t.log(`ssh2 binding ${path}: ${verdict.probe}`);
  t.not(verdict.probe, 'crashes', verdict.detail);
  t.not(verdict.probe, 'unproven', verdict.detail);
});
