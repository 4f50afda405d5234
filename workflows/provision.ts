#!/usr/bin/env -S npx zx
// Entry: provision the inventory's hosts (see --help); the work is in cli/provision-main.ts.
import { enableTrustedCompileCache } from '../cli/compile-cache.ts';

// Node compiles this tool's ~100 modules and strips their types at every start (0.16 s and 27 MB
// of a 0.38 s, 129 MB start, measured); its compile cache keeps the result. It must be on before
// they load: hence the dynamic import. Only in a directory nobody else can write (compile-cache.ts).
enableTrustedCompileCache();
const { runProvision } = await import('../cli/provision-main.ts');
await runProvision(import.meta.url);
