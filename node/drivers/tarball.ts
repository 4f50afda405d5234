// A driver source tarball on the controller (Intel's ixgbe-<version>.tar.gz releases): its version,
// taken from the release's file name, and its sha256, which tells a replaced tarball apart.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { FatalError } from '../../core/errors.ts';

export interface DriverTarball {
  module: string;
  /** Absolute path on the controller. */
  localPath: string;
  /** "ixgbe-5.19.6.tar.gz" */
  file: string;
  /** "ixgbe-5.19.6": also the name of the directory it is unpacked into on the node. */
  stem: string;
  version: string;
  sha256: string;
}

const RELEASE_NAME = /^(?<stem>[A-Za-z0-9_]+-(?<version>\d+(?:\.\d+)+[A-Za-z0-9_.+~-]*?))\.(?:tar\.gz|tgz)$/;

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function readTarball(module: string, localPath: string | undefined, field: 'pf' | 'vf'): Promise<DriverTarball> {
  if (localPath === undefined) {
    throw new FatalError(`driver.source is tarball but driver.${field} is not set`, { hint: `set driver.${field} to the ${module} source tarball in the inventory, or use driver.source: inbox` });
  }
  try {
    await access(localPath);
  } catch {
    throw new FatalError(`the ${module} tarball ${localPath} does not exist on this controller`, {
      hint: `download ${module}-<version>.tar.gz from Intel and fix driver.${field} in the inventory (relative paths are relative to the inventory file)`,
    });
  }
  const file = basename(localPath);
  const groups = RELEASE_NAME.exec(file)?.groups;
  if (!groups) {
    throw new FatalError(`cannot tell the ${module} version from the tarball name ${file}`, {
      hint: `keep Intel's release name, ${module}-<version>.tar.gz (the version decides whether a rebuild is needed)`,
    });
  }
  return { module, localPath, file, stem: groups.stem as string, version: groups.version as string, sha256: await sha256(localPath) };
}
