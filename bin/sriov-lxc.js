#!/usr/bin/env node
// The sriov-lxc command (package.json "bin"): `sriov-lxc provision|teardown|status|report|lab
// [options]`, each the entry script of workflows/ with the same options, plus --version and --help.
// Plain JavaScript so that it starts under any Node: it checks the version the tool needs first.
// From the checkout it runs the TypeScript sources (Node strips the types); an installed package
// lives under node_modules, where Node refuses to strip types
// (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), so it runs the JavaScript that `npm pack`
// builds into dist/ (the prepack script).
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const COMMANDS = {
  provision: ['workflows/provision', 'provision the inventory\'s hosts (the stages, the reboot, resume)'],
  teardown: ['workflows/teardown', 'the way back: containers, boot units, config files, kernel params, one reboot'],
  status: ['workflows/status', 'hosts x stages from the checkpoints (no host contacted)'],
  report: ['workflows/report', 'the benchmark report of a run (text, JSON, Markdown, CSV, HTML)'],
  lab: ['lab/lab', 'simulated SR-IOV nodes on this machine (up, down, status, ssh, fault, setup)'],
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const usage = `Usage: sriov-lxc COMMAND [options]   (sriov-lxc COMMAND --help for its options)

${pkg.description}.

Commands
${Object.entries(COMMANDS).map(([name, [, what]]) => `  ${name.padEnd(11)}${what}`).join('\n')}

  --version  the version of sriov-lxc
  --help     this text
`;

function main() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 18)) {
    process.stderr.write(`sriov-lxc needs Node.js >= 22.18 (this is ${process.version} at ${process.execPath}); install a current Node.js LTS and run it again\n`);
    return 1;
  }
  const [command, ...rest] = process.argv.slice(2);
  if (command === '--version' || command === '-V') {
    process.stdout.write(`sriov-lxc ${pkg.version}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    process.stderr.write(`sriov-lxc: unknown command ${JSON.stringify(command)}; commands: ${Object.keys(COMMANDS).join(', ')} (see --help)\n`);
    return 2;
  }
  const installed = fileURLToPath(import.meta.url).split('/').includes('node_modules');
  const script = fileURLToPath(new URL(installed ? `../dist/${entry[0]}.js` : `../${entry[0]}.ts`, import.meta.url));
  // The entry scripts read their options after their own path in process.argv (cli/script-args.ts).
  process.argv = [process.argv[0], script, ...rest];
  return import(pathToFileURL(script).href).then(() => undefined);
}

const code = main();
if (typeof code === 'number') process.exitCode = code;
