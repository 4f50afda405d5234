// What writeFile and upload promise with `directoryMode`, checked the same way on every Host that
// writes real files (LocalHost, SshHost): the directory made as `mkdir -p -m` makes it, in one go.
import type { ExecutionContext } from 'ava';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../../hosts/host.ts';

const modeOf = (path: string): number => statSync(path).mode & 0o7777;

/** Writes into missing directories under `dir` (a private scratch directory) and checks their modes. */
export async function checkDirectoryMode(t: ExecutionContext, host: Host, dir: string, scratch: string): Promise<void> {
  const parent = join(dir, 'var lib $(x)');
  const target = join(parent, 'sriov-lxc');
  await host.writeFile(join(target, 'record.json'), '{}\n', { mode: 0o600, directoryMode: 0o755 });
  t.is(readFileSync(join(target, 'record.json'), 'utf8'), '{}\n');
  t.is(modeOf(join(target, 'record.json')), 0o600);
  t.is(modeOf(target), 0o755, 'the directory gets the mode asked for');
  t.is(modeOf(parent), 0o700, 'a directory made above it is private');
  t.deepEqual(readdirSync(target), ['record.json'], 'no temporary file is left');

  // One already there keeps its own mode, as `mkdir -p -m` leaves it.
  chmodSync(target, 0o750);
  const local = join(scratch, 'driver.tar.gz');
  writeFileSync(local, Buffer.from([0, 1, 2, 255]));
  await host.upload(local, join(target, 'driver.tar.gz'), { directoryMode: 0o700 });
  t.deepEqual(readFileSync(join(target, 'driver.tar.gz')), Buffer.from([0, 1, 2, 255]));
  t.is(modeOf(target), 0o750, 'an existing directory keeps its mode');

  // Without the option nothing is made: a missing directory is an error, as before.
  await t.throwsAsync(host.writeFile(join(dir, 'missing', 'f'), 'x'));
  t.false(readdirSync(dir).includes('missing'));

  // Made at the mode asked for, whatever the umask (mkdir -m is not filtered by it).
  mkdirSync(join(dir, 'umask'), { mode: 0o700 });
  await host.writeFile(join(dir, 'umask', 'shared', 'f'), 'x', { directoryMode: 0o770 });
  t.is(modeOf(join(dir, 'umask', 'shared')), 0o770);
}
