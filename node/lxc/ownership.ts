// Which containers are sriov-lxc's. container-create marks the config of every container it creates
// with a comment line (LXC ignores comments; the mark lives and dies with the container, and neither
// the container nor a user can write its config); teardown destroys only those. A container of the
// inventory's name that was there before is someone else's: container-create refuses it unless
// --adopt takes it deliberately, and then marks it adopted, which teardown leaves in place.
// A record on the node (written before lxc-create, removed once the mark is in the config) tells a
// run that resumes after a crash between the two that the unmarked container is the one it created.
import type { Host } from '../../hosts/host.ts';

export const CREATED_MARK = '# sriov-lxc: created by container-create; teardown destroys this container';
export const ADOPTED_MARK = '# sriov-lxc: existed before sriov-lxc, taken with --adopt; teardown leaves this container';

/** created: ours to destroy; adopted: configured by us, not ours to destroy; foreign: not ours at all. */
export type ContainerOwner = 'created' | 'adopted' | 'foreign';

export function ownerOf(config: string): ContainerOwner {
  const lines = config.split('\n').map((l) => l.trimEnd());
  if (lines.includes(CREATED_MARK)) return 'created';
  if (lines.includes(ADOPTED_MARK)) return 'adopted';
  return 'foreign';
}

const withoutMarks = (config: string): string => config.split('\n').filter((l) => l.trimEnd() !== CREATED_MARK && l.trimEnd() !== ADOPTED_MARK).join('\n');

/** The config with the mark of `owner` as its first line (and no other mark of ours). */
export function withMark(config: string, owner: Exclude<ContainerOwner, 'foreign'>): string {
  return `${owner === 'created' ? CREATED_MARK : ADOPTED_MARK}\n${withoutMarks(config)}`;
}

/** The two configs differ in our mark only: LXC reads them alike, a running container needs no restart. */
export function sameButMark(a: string, b: string): boolean {
  return withoutMarks(a) === withoutMarks(b);
}

const RECORDS_DIR = '/var/lib/sriov-lxc';

/** Where container-create notes, before lxc-create, that it is creating `name` (container names hold no "/"). */
export function creationRecord(name: string): string {
  return `${RECORDS_DIR}/creating-container-${name}`;
}

export async function writeCreationRecord(host: Host, name: string): Promise<void> {
  await host.writeFile(creationRecord(name), `sriov-lxc container-create is creating the container ${name} (lxc-create); its config gets the mark next\n`, { mode: 0o600, directoryMode: 0o700 });
}

export async function hasCreationRecord(host: Host, name: string): Promise<boolean> {
  return (await host.readFile(creationRecord(name))) !== undefined;
}
