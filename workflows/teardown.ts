#!/usr/bin/env -S npx zx
// Entry: tear down what provision did on the inventory's hosts (see --help), with the same engine,
// checkpoints and resume; its stages are workflows/teardown-workflow.ts.
import { enableTrustedCompileCache } from '../cli/compile-cache.ts';

// As provision.ts: the compile cache must be on before the tool's modules load, and only in a
// directory nobody else can write (never Node's default in /tmp).
enableTrustedCompileCache();
const { runTeardown } = await import('../cli/teardown-main.ts');
await runTeardown(import.meta.url);
