// Issue 17 (7) on a real file system: a patch keeps the patched file's mode and owner, and its
// backup gets them too (LocalHost: the same stat/chown commands a node runs).
import test from 'ava';
import { chmod, chown, lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../../../hosts/local.ts';
import { applyPatch, BACKUP_SUFFIX } from '../../../../node/lxc/template-patch.ts';

test('a 0755 template and a 0600 file of uid 1234 keep mode and owner, backups too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sriov-lxc-patch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const template = join(dir, 'lxc-busybox');
  const secret = join(dir, 'secret.conf');
  await writeFile(template, '#!/bin/sh\nA=1\n');
  await chmod(template, 0o755);
  await writeFile(secret, 'key=old\n');
  await chmod(secret, 0o600);
  const root = process.getuid?.() === 0;
  if (root) await chown(secret, 1234, 1234);
  const host = new LocalHost('local');
  t.true(await applyPatch(host, { name: 'custom', file: template, find: 'A=1', replace: 'A=2' }));
  t.true(await applyPatch(host, { name: 'custom', file: secret, find: 'key=old', replace: 'key=new' }));
  t.is(await readFile(template, 'utf8'), '#!/bin/sh\nA=2\n');
  for (const path of [template, `${template}${BACKUP_SUFFIX}`]) t.is((await stat(path)).mode & 0o7777, 0o755, path);
  for (const path of [secret, `${secret}${BACKUP_SUFFIX}`]) {
    const s = await stat(path);
    t.is(s.mode & 0o7777, 0o600, path);
    if (root) t.deepEqual([s.uid, s.gid], [1234, 1234], path);
  }
  t.false(await applyPatch(host, { name: 'custom', file: template, find: 'A=1', replace: 'A=2' }), 'applied: nothing to write');
});

test('a template that is a link is refused, named, and neither it nor what it points to is written', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sriov-lxc-patch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // What a link planted in place of a template could make root rewrite.
  const victim = join(dir, 'victim.conf');
  const template = join(dir, 'lxc-busybox');
  await writeFile(victim, 'A=1\n');
  await chmod(victim, 0o600);
  await symlink(victim, template);
  const host = new LocalHost('local');
  const error = await t.throwsAsync(applyPatch(host, { name: 'custom', file: template, find: 'A=1', replace: 'A=2' }));
  t.regex(error?.message ?? '', /lxc-busybox is a symbolic link, not a regular file/);
  t.is(await readFile(victim, 'utf8'), 'A=1\n');
  t.true((await lstat(template)).isSymbolicLink());
  await t.throwsAsync(lstat(`${template}${BACKUP_SUFFIX}`), { code: 'ENOENT' }, 'no backup written either');
});
