// Issue 17 (11): a `'` in the inventory or state-dir path broke the resume unit's ExecStart
// ("Unbalanced quoting" from systemd-analyze verify; after the reboot nothing resumed). The unit
// text is parsed back here by the rules of systemd.service(5) "Command lines" and systemd.unit(5)
// specifiers, and checked by systemd-analyze verify where it is installed.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import { resumeUnitText, RESUME_UNIT } from '../../engine/boot-unit.ts';

const C_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

/**
 * An ExecStart= value split as systemd does: words separated by white space, each either plain
 * or in double or single quotes, C escapes (\\ \" \n ...) decoded; then specifiers (%% → %, any
 * other % specifier is refused here) and $$ → $ ($NAME would be substituted: refused here).
 */
function systemdWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (/\s/.test(value[i] ?? '')) i++;
    if (i >= value.length) break;
    let word = '';
    let quote: string | undefined;
    for (; i < value.length; i++) {
      const c = value[i]!;
      if (quote === undefined && /\s/.test(c)) break;
      if (c === '\\') {
        const next = value[++i];
        if (next === undefined || !(next in C_ESCAPES)) throw new Error(`invalid escape \\${next} at ${i}`);
        word += C_ESCAPES[next];
      } else if (quote === undefined && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = undefined;
      else word += c;
    }
    if (quote !== undefined) throw new Error('Unbalanced quoting');
    words.push(word);
  }
  return words.map((w) => {
    if (/%[^%]/.test(w.replace(/%%/g, ''))) throw new Error(`unescaped specifier in ${w}`);
    if (/\$[^$]/.test(w.replace(/\$\$/g, ''))) throw new Error(`environment variable substitution in ${w}`);
    return w.replace(/%%/g, '%').replace(/\$\$/g, '$');
  });
}

const value = (unit: string, key: string) => unit.split('\n').find((l) => l.startsWith(`${key}=`))!.slice(key.length + 1);

const HOSTILE_PATHS = [
  "/home/o'brien/inventory.yaml",
  '/srv/my "lab"/inventory.yaml',
  '/srv/back\\slash/inventory.yaml',
  '/srv/100%/inventory.yaml',
  '/srv/$HOME/${PATH}/inventory.yaml',
  '/srv/a b;c/inventory.yaml',
];

for (const path of HOSTILE_PATHS) {
  test(`the resume unit gives provision.ts its arguments back: ${JSON.stringify(path)}`, (t) => {
    const stateDir = path.replace('inventory.yaml', 'state');
    const unit = resumeUnitText({ script: '/opt/sriov lxc/workflows/provision.ts', inventory: path, stateDir, options: ['--only', 'a,b'] }, 'node1', '/usr/bin/node');
    t.deepEqual(systemdWords(value(unit, 'ExecStart')), ['/usr/bin/node', '/opt/sriov lxc/workflows/provision.ts', '--local', '--host', 'node1', '--inventory', path, '--state-dir', stateDir, '--only', 'a,b', '--renderer', 'simple']);
    t.is(value(unit, 'StandardOutput').replace(/%%/g, '%'), `append:${stateDir}/resume.log`);
  });
}

test('a newline in a path is refused with the fix, not written into the unit', (t) => {
  const error = t.throws(() => resumeUnitText({ script: '/opt/p.ts', inventory: '/srv/a\nExecStartPre=/bin/sh', stateDir: '/srv/s', options: [] }, 'node1', '/usr/bin/node'), { instanceOf: UsageError });
  t.regex(error!.message, /control character/);
});

const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
(analyze ? test : test.skip)('systemd-analyze verify accepts the unit with every hostile path', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const path of HOSTILE_PATHS) {
    // verify checks that the program exists: /bin/echo stands for node, the arguments are the point.
    writeFileSync(join(dir, RESUME_UNIT), resumeUnitText({ script: '/opt/p.ts', inventory: path, stateDir: join(dir, 'state'), options: [] }, 'node1', '/bin/echo'));
    const result = spawnSync(analyze, ['verify', '--man=no', join(dir, RESUME_UNIT)], { encoding: 'utf8' });
    t.is(result.status, 0, `${path}: ${result.stderr}`);
    t.notRegex(result.stderr, /Unbalanced|Invalid|bad unit/i, path);
  }
});
