// Issue 17 (11): a `'` in the inventory or state-dir path broke the resume unit's ExecStart
// ("Unbalanced quoting" from systemd-analyze verify; after the reboot nothing resumed). The unit
// text is parsed back here by the rules of systemd.service(5) "Command lines" and systemd.unit(5)
// specifiers, and checked by systemd-analyze verify where it is installed.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { bootUnit, resumeUnitText, RESUME_UNIT } from '../../../engine/boot-unit.ts';
import { FakeHost } from '../../helpers/fake-host.ts';

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
    const unit = resumeUnitText({ script: '/opt/sriov lxc/workflows/provision.ts', inventory: path, stateDir, options: ['--only', 'a,b'] }, 'node1', 252, '/usr/bin/node');
    t.deepEqual(systemdWords(value(unit, 'ExecStart')), ['/usr/bin/node', '/opt/sriov lxc/workflows/provision.ts', '--local', '--host', 'node1', '--inventory', path, '--state-dir', stateDir, '--only', 'a,b', '--renderer', 'simple']);
    t.is(value(unit, 'StandardOutput').replace(/%%/g, '%'), `append:${stateDir}/resume.log`);
  });
}

test('a newline in a path is refused with the fix, not written into the unit', (t) => {
  const error = t.throws(() => resumeUnitText({ script: '/opt/p.ts', inventory: '/srv/a\nExecStartPre=/bin/sh', stateDir: '/srv/s', options: [] }, 'node1', 252, '/usr/bin/node'), { instanceOf: UsageError });
  t.regex(error!.message, /control character/);
});

const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
(analyze ? test : test.skip)('systemd-analyze verify accepts the unit with every hostile path', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const path of HOSTILE_PATHS) {
    // verify checks that the program exists: /bin/echo stands for node, the arguments are the point.
    writeFileSync(join(dir, RESUME_UNIT), resumeUnitText({ script: '/opt/p.ts', inventory: path, stateDir: join(dir, 'state'), options: [] }, 'node1', 252, '/bin/echo'));
    const result = spawnSync(analyze, ['verify', '--man=no', join(dir, RESUME_UNIT)], { encoding: 'utf8' });
    t.is(result.status, 0, `${path}: ${result.stderr}`);
    t.notRegex(result.stderr, /Unbalanced|Invalid|bad unit/i, path);
  }
});

// Issue 22: systemd before 240 (CentOS 7's 219, EL 8's 239) does not know `append:` ("Failed to
// parse output specifier, ignoring"): the output went to the journal and resume.log stayed empty.
test('systemd 219: no append:, sh appends the output to resume.log, every hostile path intact', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const path of HOSTILE_PATHS) {
    const stateDir = join(dir, path.replace('inventory.yaml', 'state'));
    mkdirSync(stateDir, { recursive: true });
    const unit = resumeUnitText({ script: '/opt/p.ts', inventory: path, stateDir, options: [] }, 'node1', 219, '/bin/echo');
    t.false(unit.includes('append:'), path);
    t.false(unit.includes('StandardOutput='), path);
    const words = systemdWords(value(unit, 'ExecStart'));
    t.deepEqual(words.slice(0, 2), ['/bin/sh', '-c']);
    // Run what systemd would run, twice: the output lands in the log, appended.
    for (let i = 0; i < 2; i++) t.is(spawnSync(words[0]!, words.slice(1)).status, 0);
    const line = `/opt/p.ts --local --host node1 --inventory ${path} --state-dir ${stateDir} --renderer simple\n`;
    t.is(readFileSync(join(stateDir, 'resume.log'), 'utf8'), line + line, path);
  }
});

(analyze ? test : test.skip)('systemd-analyze verify accepts the unit for systemd 219 too', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, RESUME_UNIT), resumeUnitText({ script: '/opt/p.ts', inventory: HOSTILE_PATHS[0]!, stateDir: join(dir, 'state'), options: [] }, 'node1', 219, '/bin/echo'));
  const result = spawnSync(analyze, ['verify', '--man=no', join(dir, RESUME_UNIT)], { encoding: 'utf8' });
  t.is(result.status, 0, result.stderr);
});

const unit = bootUnit({ script: '/opt/p.ts', inventory: '/srv/inventory.yaml', stateDir: '/var/lib/sriov-lxc', options: [] });
const UNIT_PATH = `/etc/systemd/system/${RESUME_UNIT}`;

function nodeWith(systemctlVersion: string): FakeHost {
  return new FakeHost('node1')
    .on(['systemctl', '--version'], { stdout: systemctlVersion })
    .on((argv) => argv[0] === 'systemctl', {});
}

test('install: the unit follows the node\'s systemd version (systemctl --version)', async (t) => {
  // CentOS 7's systemctl --version; Debian 12's.
  const centos7 = nodeWith('systemd 219\n+PAM +AUDIT +SELINUX +IMA -APPARMOR +SMACK +SYSVINIT +UTMP +LIBCRYPTSETUP +GCRYPT +GNUTLS +ACL +XZ +LZ4 -SECCOMP +BLKID +ELFUTILS +KMOD +IDN\n');
  await unit.install(centos7);
  t.false(centos7.files.get(UNIT_PATH)?.content.includes('append:'));
  const debian12 = nodeWith('systemd 252 (252.22-1~deb12u1)\n+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified\n');
  await unit.install(debian12);
  t.true(debian12.files.get(UNIT_PATH)?.content.includes('StandardOutput=append:/var/lib/sriov-lxc/resume.log'));
});

