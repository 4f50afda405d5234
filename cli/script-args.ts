// The arguments after a script's own path, whether it runs as `npx zx script.ts ...` (argv holds
// node, zx and the script) or as `node script.ts ...`.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function scriptArgs(moduleUrl: string, argv: readonly string[] = process.argv): string[] {
  const self = fileURLToPath(moduleUrl);
  const i = argv.findIndex((a, n) => n > 0 && resolve(a) === self);
  return argv.slice(i >= 0 ? i + 1 : 2);
}
