// Installing the lab's packages leaves the host's boot as it was, Debian's deb-systemd-helper
// records included: the real deb-systemd-helper (init-system-helpers, Priority required) runs the
// packages' maintainer script steps (debhelper's postinst/postrm-systemd autoscripts) on a private
// root (DPKG_ROOT, a temp directory: it writes only there, and runs no systemctl), never on this
// machine's /etc or /var.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLabTools } from '../../../lab/setup.ts';
import { enablementState, restoreEnablement } from '../../../lab/service-enablement.ts';

const HELPER = '/usr/bin/deb-systemd-helper';

// debhelper 13's autoscripts: postinst-systemd-enable, postrm-systemd (remove, purge).
const POSTINST = (u: string) =>
  `deb-systemd-helper unmask ${u} >/dev/null || true; if deb-systemd-helper --quiet was-enabled ${u}; then deb-systemd-helper enable ${u} >/dev/null || true; else deb-systemd-helper update-state ${u} >/dev/null || true; fi`;
const POSTRM_REMOVE = (u: string) => `deb-systemd-helper mask ${u} >/dev/null || true`;
const POSTRM_PURGE = (u: string) => `deb-systemd-helper purge ${u} >/dev/null || true; deb-systemd-helper unmask ${u} >/dev/null || true`;

function privateRoot(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'sriov-lxc-enablement-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const units = join(root, 'usr', 'lib', 'systemd', 'system');
  mkdirSync(units, { recursive: true });
  // Their [Install] sections as Debian 12 ships them (openssh-server: Alias=sshd.service).
  writeFileSync(join(units, 'ssh.service'), '[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n');
  writeFileSync(join(units, 'lxc-net.service'), '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n');
  writeFileSync(join(units, 'lxc.service'), '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n');
  writeFileSync(join(units, 'cron.service'), '[Service]\nExecStart=/usr/sbin/cron -f\n[Install]\nWantedBy=multi-user.target\n');
  return root;
}

/** Runs maintainer-script steps with the real deb-systemd-helper on the private root; returns the exit code of the last. */
function maintscript(root: string, script: string): number {
  const r = spawnSync('sh', ['-c', script], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DPKG_ROOT: root, DPKG_MAINTSCRIPT_PACKAGE: 'sriov-lxc-test' }, encoding: 'utf8' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** Every entry under the root's /etc and /var with its type and link target. */
function tree(root: string): string {
  const found = spawnSync('find', [join(root, 'etc'), join(root, 'var'), '-printf', '%p %y %l\n'], { encoding: 'utf8' }).stdout;
  return found.split('\n').map((l) => l.slice(root.length + 1)).sort().join('\n');
}

test('deb-systemd-helper is on this machine (init-system-helpers, Priority required)', (t) => {
  t.true(existsSync(HELPER));
});

test.serial('after an install, the boot links and mask records are as before, and deb-systemd-helper later behaves as if the lab never enabled anything', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('installing needs root');
  const root = privateRoot(t);
  // Before: cron enabled by its package; lxc installed once, then removed (not purged): masked.
  t.is(maintscript(root, `${POSTINST('cron.service')}; ${POSTINST('lxc.service')}; ${POSTRM_REMOVE('lxc.service')}`), 0);
  t.true(existsSync(join(root, 'var/lib/systemd/deb-systemd-helper-masked/lxc.service')), 'the setup masked lxc as a removal does');
  const before = tree(root);
  // The install: the packages' postinst steps (a stand-in apt-get runs them on the private root).
  const bin = mkdtempSync(join(tmpdir(), 'sriov-lxc-enablement-bin-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  const steps = ['ssh.service', 'lxc-net.service', 'lxc.service'].map(POSTINST).join('; ');
  writeFileSync(
    join(bin, 'apt-get'),
    `#!/bin/sh\ncase "$*" in *download-only*|*update*) exit 0 ;; esac\nPATH=/usr/sbin:/usr/bin:/sbin:/bin DPKG_ROOT='${root}' DPKG_MAINTSCRIPT_PACKAGE=sriov-lxc-test /bin/sh -c '${steps}'\n`,
    { mode: 0o755 },
  );
  const lines: string[] = [];
  await t.throwsAsync(ensureLabTools({ scope: 'lab', what: 'the lab', path: bin, root, log: (l) => lines.push(l) }), { message: /after apt-get install, still/ });
  t.regex(lines.join('\n'), /disabled again what the install enabled for the next boot: lxc-net\.service, ssh\.service, sshd\.service \(the host boots as before\)/);
  t.regex(lines.join('\n'), /put back the boot links \(masks, enablement\) the install removed: lxc\.service/);
  // Links and masks as before; only the enabled-records of the two new units were added.
  const after = tree(root);
  const added = after.split('\n').filter((l) => !before.split('\n').includes(l));
  t.deepEqual(
    added.filter((l) => !/^var\/lib\/systemd\/deb-systemd-helper-enabled\/(ssh|lxc-net)\.service\.dsh-also f |^var\/lib\/systemd\/deb-systemd-helper-enabled\/(multi-user\.target\.wants\/(ssh|lxc-net)\.service|sshd\.service) f /.test(l)),
    [],
  );
  t.deepEqual(before.split('\n').filter((l) => !after.split('\n').includes(l)), [], 'nothing of before is missing');
  // deb-systemd-helper: ssh and lxc-net were not enabled; cron was and is.
  t.is(maintscript(root, 'deb-systemd-helper --quiet was-enabled ssh.service'), 1);
  t.is(maintscript(root, 'deb-systemd-helper --quiet is-enabled lxc-net.service'), 1);
  t.is(maintscript(root, 'deb-systemd-helper --quiet was-enabled cron.service'), 0);
  // An upgrade later keeps them disabled (update-state, not enable).
  t.is(maintscript(root, `${POSTINST('ssh.service')}; ${POSTINST('lxc-net.service')}`), 0);
  t.is(tree(root), after, 'the upgrade enabled nothing');
  // apt-get remove, then purge: the host is exactly as before the install.
  t.is(maintscript(root, ['ssh.service', 'lxc-net.service'].map((u) => `${POSTRM_REMOVE(u)}; ${POSTRM_PURGE(u)}`).join('; ')), 0);
  t.is(tree(root), before);
});

test('restoreEnablement removes the links made since, makes again those removed or changed, and the mask records follow', (t) => {
  const root = privateRoot(t);
  const system = join(root, 'etc', 'systemd', 'system');
  const masked = join(root, 'var/lib/systemd/deb-systemd-helper-masked');
  mkdirSync(join(system, 'multi-user.target.wants'), { recursive: true });
  mkdirSync(masked, { recursive: true });
  spawnSync('ln', ['-s', '/dev/null', join(system, 'lxc.service')]);
  writeFileSync(join(masked, 'lxc.service'), '');
  spawnSync('ln', ['-s', '/usr/lib/systemd/system/cron.service', join(system, 'multi-user.target.wants', 'cron.service')]);
  const before = enablementState(root);
  const snapshot = tree(root);
  // What an install may do: unmask lxc, enable ssh with its alias and a SysV link, retarget cron, mask another.
  rmSync(join(system, 'lxc.service'));
  rmSync(join(masked, 'lxc.service'));
  spawnSync('ln', ['-s', '/usr/lib/systemd/system/ssh.service', join(system, 'sshd.service')]);
  spawnSync('ln', ['-s', '/usr/lib/systemd/system/ssh.service', join(system, 'multi-user.target.wants', 'ssh.service')]);
  mkdirSync(join(root, 'etc', 'rc2.d'));
  spawnSync('ln', ['-s', '../init.d/ssh', join(root, 'etc', 'rc2.d', 'S01ssh')]);
  spawnSync('ln', ['-sfn', '/etc/systemd/system/cron.service', join(system, 'multi-user.target.wants', 'cron.service')]);
  spawnSync('ln', ['-s', '/dev/null', join(system, 'lxc-net.service')]);
  writeFileSync(join(masked, 'lxc-net.service'), '');
  const { disabled, restored } = restoreEnablement(root, before);
  t.deepEqual(disabled.sort(), ['lxc-net.service', 'ssh', 'ssh.service', 'sshd.service']);
  t.deepEqual(restored.sort(), ['cron.service', 'lxc.service']);
  t.is(tree(root).replace(/^etc\/rc2\.d d \n/m, ''), snapshot, 'as before, but for the emptied rc2.d the install made');
});
