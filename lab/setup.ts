// The lab's tool check, run before it starts anything (lab up, and so the demo, the lab tests and
// the benchmark; `npm test` runs it once as its pretest): every tool of lab/packages.ts looked up
// on PATH. What is missing is installed here as root on Debian/Ubuntu (apt-get update once, the
// packages downloaded, then installed; apt's output in a log file kept only if it fails), leaving
// the host as it was apart from the packages: no service started, and the services the packages
// enable for the next boot disabled again. Otherwise (not root, no apt-get, --no-install or
// SRIOV_LXC_NO_INSTALL=1, or the mirror unreachable) the check stops, having touched nothing,
// with the command to run.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { enablementState, restoreEnablement } from './service-enablement.ts';
import { APT_INSTALL, installCommand, missingMessage, missingPackages, packagesFor, type Missing, type PackageScope } from './packages.ts';

export class LabSetupError extends Error {}

export interface ToolCheckOptions {
  scope: PackageScope;
  /** Who needs the tools, for the messages ("the lab", "npm test"). */
  what: string;
  /** The PATH searched; default process.env.PATH. */
  path?: string | undefined;
  /** Install what is missing when root and apt-get is there (default: unless SRIOV_LXC_NO_INSTALL=1). */
  install?: boolean;
  /** The root of the services' enablement links and deb-systemd-helper's records (default /: the host's). */
  root?: string;
  /** One line for the person watching. */
  log?: (line: string) => void;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `command -v` of a name over a PATH string (absolute directories only, like a login shell would use). */
export function onPath(name: string, path: string): boolean {
  return path.split(delimiter).some((dir) => isAbsolute(dir) && executable(join(dir, name)));
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** What the scope lacks on this PATH. */
export function findMissing(scope: PackageScope, path: string): Missing[] {
  return missingPackages(packagesFor(scope), { tool: (t) => onPath(t, path), file: exists });
}

// Makes apt leave services stopped (openssh-server would start a system-wide sshd on port 22):
// the documented hook, a policy-rc.d that denies every action, present only while we install.
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

async function runLogged(argv: readonly string[], logFile: string, env: NodeJS.ProcessEnv): Promise<number> {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    writeFileSync(fd, `$ ${argv.join(' ')}\n`);
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], env });
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
  } finally {
    closeSync(fd);
  }
}

/** The environment variable that refuses installing (prints the command instead). */
export const NO_INSTALL_ENV = 'SRIOV_LXC_NO_INSTALL';

/** The warnings and errors of apt's output (W:, E:, Err: lines), for a message. */
function aptProblems(output: string): string {
  return output
    .split('\n')
    .filter((l) => /^(W|E|Err):/.test(l))
    .slice(0, 6)
    .join('\n  ');
}

async function aptInstall(missing: readonly Missing[], what: string, path: string, root: string, log: (line: string) => void): Promise<void> {
  const names = missing.map((m) => m.package.name);
  const tools = missing.flatMap((m) => m.absent);
  const logDir = mkdtempSync(join(tmpdir(), 'sriov-lxc-apt-'));
  const logFile = join(logDir, 'apt.log');
  log(
    `installing ${names.join(' ')} with apt-get: ${what} needs ${tools.join(', ')}; no service starts, those the packages enable are disabled again ` +
      `(refuse with --no-install or ${NO_INSTALL_ENV}=1; apt's output: ${logFile}, kept if it fails)`,
  );
  const env = { ...process.env, PATH: path, DEBIAN_FRONTEND: 'noninteractive' };
  // Other processes (ava runs test files in parallel) may install at the same time: wait for dpkg's lock.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
  let ownPolicy = false;
  try {
    writeFileSync(POLICY_RC_D, '#!/bin/sh\n# sriov-lxc lab setup: no service starts while packages install.\nexit 101\n', { mode: 0o755, flag: 'wx' });
    ownPolicy = true;
  } catch {
    // Already there (the operator's own): it decides.
  }
  const enablementBefore = enablementState(root);
  try {
    const update = ['apt-get', ...lockWait, 'update'];
    let code = await runLogged(update, logFile, env);
    if (code !== 0) throw new LabSetupError(`${update.join(' ')} failed (exit ${code}):\n${readFileSync(logFile, 'utf8').trimEnd()}\n(kept in ${logFile})`);
    // Offline, apt-get update still exits 0: downloading first fails before anything is installed.
    const download = [...APT_INSTALL, '--download-only', ...lockWait, ...names];
    code = await runLogged(download, logFile, env);
    if (code !== 0) {
      const problems = aptProblems(readFileSync(logFile, 'utf8'));
      throw new LabSetupError(
        `cannot download ${names.join(' ')} from the package mirror (exit ${code}); nothing was installed. apt said:\n  ${problems || '(see the log)'}\n` +
          `Check the network and the mirrors in /etc/apt/sources.list and /etc/apt/sources.list.d, or install them by hand: ${installCommand(missing, true)}\n(apt's output kept in ${logFile})`,
      );
    }
    const install = [...APT_INSTALL, ...lockWait, ...names];
    code = await runLogged(install, logFile, env);
    if (code !== 0) throw new LabSetupError(`${install.join(' ')} failed (exit ${code}):\n${readFileSync(logFile, 'utf8').trimEnd()}\n(kept in ${logFile})`);
    rmSync(logDir, { recursive: true, force: true });
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
    const { disabled, restored } = restoreEnablement(root, enablementBefore);
    if (disabled.length > 0) log(`disabled again what the install enabled for the next boot: ${disabled.join(', ')} (the host boots as before)`);
    if (restored.length > 0) log(`put back the boot links (masks, enablement) the install removed: ${restored.join(', ')}`);
  }
}

/**
 * Checks the scope's tools; installs the missing packages as root where apt-get is, otherwise
 * throws LabSetupError naming the tools and the install command. Returns the packages installed.
 */
export async function ensureLabTools(o: ToolCheckOptions): Promise<string[]> {
  const path = o.path ?? process.env['PATH'] ?? '';
  const missing = findMissing(o.scope, path);
  if (missing.length === 0) return [];
  const root = process.getuid?.() === 0;
  const apt = onPath('apt-get', path);
  const install = o.install ?? process.env[NO_INSTALL_ENV] !== '1';
  if (!install && root && apt) {
    throw new LabSetupError(`${missingMessage(missing, { root, apt, what: o.what })}\n(not installed here: --no-install or ${NO_INSTALL_ENV}=1)`);
  }
  if (!root || !apt) throw new LabSetupError(missingMessage(missing, { root, apt, what: o.what }));
  await aptInstall(missing, o.what, path, o.root ?? '/', o.log ?? ((line) => process.stderr.write(`${line}\n`)));
  const still = findMissing(o.scope, path);
  if (still.length > 0) throw new LabSetupError(`after apt-get install, still ${missingMessage(still, { root, apt, what: o.what })}`);
  return missing.map((m) => m.package.name);
}
