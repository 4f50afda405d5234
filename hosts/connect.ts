// Opens the Host for one inventory host: this machine (`--local`) or the node over SSH, with the
// SSH settings resolved from the plan, ~/.ssh/config and the environment. Nothing connects here:
// SshHost connects on first use.

import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import type { HostPlan, SshPlan } from '../inventory/plan.ts';
import type { Host } from './host.ts';
import { LocalHost } from './local.ts';
import { keyProtection } from './private-key.ts';
import { isHostAlias, loadSshConfig, resolveJumpChain, resolveSshConfig, type IdentityAgent, type ResolvedSshConfig, type SshConfigPaths } from './ssh-config.ts';
import { SshHost, type HopEndpoint, type RetryNotice, type RetryPolicy, type SshEndpoint, type SshHostOptions } from './ssh.ts';

export interface OpenHostOptions {
  /** Run on this machine instead of over SSH. */
  local: boolean;
  /** The state directory; host keys are pinned in `<stateDir>/known_hosts`. */
  stateDir: string;
  /** Replace a changed pinned host key (--accept-new-host-key). */
  acceptChangedHostKey?: boolean;
  /** --dry-run: nothing written, no host key pinned (a new one is reported). */
  dryRun?: boolean;
  retry?: Partial<RetryPolicy>;
  onRetry?: (notice: RetryNotice) => void;
  /** Told when a changed host key was accepted. */
  onWarning?: (message: string) => void;
  /** Defaults to the user's home directory (~/.ssh/config, ~/.ssh/known_hosts). */
  home?: string;
  /** Defaults to $SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** The system's ssh_config and its directory (tests); /etc/ssh/ssh_config otherwise. */
  systemSshConfig?: Pick<SshConfigPaths, 'systemFile' | 'systemDir'>;
}

/** What ~/.ssh/config and the plan decide about one host's connection. */
export interface ResolvedSsh {
  endpoint: SshEndpoint;
  knownHosts: SshHostOptions['knownHosts'];
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** What the person should know (StrictHostKeyChecking no is not followed to the letter). */
  warnings: string[];
}

const DEFAULT_USER_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/**
 * The agent socket ssh would use for a host: $SSH_AUTH_SOCK (`envSocket`) unless its IdentityAgent
 * says otherwise (ssh-config.ts). A socket ssh_config names must exist when it is to be used.
 */
function agentSocketOf(agent: IdentityAgent | undefined, envSocket: string | undefined): string | undefined {
  if (agent === undefined || agent.kind === 'environment') return envSocket;
  return agent.kind === 'socket' ? agent.path : undefined;
}

/** The key file to use and whether the agent is used (an encrypted key goes through the agent). */
function credentials(name: string, keyPath: string | undefined, wantAgent: boolean, envSocket: string | undefined, config: Pick<ResolvedSshConfig, 'identitiesOnly' | 'identityAgent'>): { privateKeyPath?: string; agentSocket?: string } {
  const { identitiesOnly, identityAgent } = config;
  const agentSocket = agentSocketOf(identityAgent, envSocket);
  if (wantAgent && !agentSocket) {
    if (identityAgent !== undefined && identityAgent.kind !== 'environment') {
      throw new UsageError(`${identityAgent.where}: IdentityAgent leaves ${name} without an agent, but the inventory says agent: true`, { hint: 'name the agent\'s socket in IdentityAgent (or set the variable it names), or set key: in the inventory' });
    }
    throw new UsageError(`host ${name}: agent: true but SSH_AUTH_SOCK is not set`, { hint: 'start ssh-agent and add your key (ssh-add), or set key: in the inventory' });
  }
  if (keyPath !== undefined && !existsSync(keyPath)) {
    throw new UsageError(`host ${name}: the SSH key ${keyPath} does not exist`, { hint: 'set key: to an existing private key file, or use agent: true' });
  }
  // sriov-lxc never asks for a passphrase: an encrypted key is used through the agent, which holds
  // it decrypted after ssh-add (ssh2 would stop at the key and never try the agent).
  const encrypted = keyPath !== undefined && keyProtection(readFileSync(keyPath, 'utf8')) === 'encrypted';
  const useAgent = wantAgent || (encrypted && agentSocket !== undefined);
  if (encrypted && !useAgent) {
    throw new UsageError(`host ${name}: the SSH key ${keyPath} is encrypted and sriov-lxc does not ask for passphrases`, {
      hint: `start ssh-agent, add the key (ssh-add ${keyPath}) and run sriov-lxc with SSH_AUTH_SOCK set (or IdentityAgent naming its socket); the agent is then used for this key`,
    });
  }
  if (useAgent && identitiesOnly) {
    throw new UsageError(`${identitiesOnly.where}: IdentitiesOnly yes for ${name}, but sriov-lxc would authenticate through ssh-agent, which offers every key it holds`, {
      hint: 'give the host an unencrypted IdentityFile (or key: in the inventory) and agent: false, or remove IdentitiesOnly for it',
    });
  }
  if (useAgent && identityAgent?.kind === 'socket' && !existsSync(identityAgent.path)) {
    throw new UsageError(`${identityAgent.where}: IdentityAgent ${identityAgent.path} for ${name}: no such socket`, { hint: 'start the agent on that socket (ssh-agent -a PATH), or fix IdentityAgent' });
  }
  const privateKeyPath = encrypted ? undefined : keyPath;
  if (privateKeyPath === undefined && !useAgent) {
    throw new UsageError(`host ${name}: no way to authenticate over SSH`, { hint: 'set key: (a private key file) or agent: true in the inventory' });
  }
  return { ...(privateKeyPath !== undefined ? { privateKeyPath } : {}), ...(useAgent && agentSocket ? { agentSocket } : {}) };
}

/** The ssh_config settings of one endpoint that ssh2 takes as they are. */
function transport(config: ResolvedSshConfig): Pick<SshEndpoint, 'algorithms' | 'family'> {
  return { ...(config.algorithms ? { algorithms: config.algorithms } : {}), ...(config.family ? { family: config.family } : {}) };
}

/**
 * Where to connect, through which jump host, how to authenticate and whom to trust.
 *
 * ssh_config (~/.ssh/config, then /etc/ssh/ssh_config, with their Includes) is read for the
 * plan's sshConfigHost, else its address, as `ssh NAME` reads it (ssh-config.ts): HostName, User,
 * Port and IdentityFile it sets win over the plan's (as for ssh, the inventory's values are the
 * defaults); what it sets and sriov-lxc does not implement is refused by name.
 *
 * StrictHostKeyChecking: `yes` verifies against the known_hosts files only (UserKnownHostsFile,
 * GlobalKnownHostsFile or their defaults); `accept-new` and `ask` (ssh's default, we cannot ask)
 * pin a new key on first use in the state dir and refuse a changed one. `no` is not followed to
 * the letter: ssh would then connect to a host whose key changed, which is what an attacker in
 * the middle looks like, and sriov-lxc works as root there; it pins and refuses a changed key as
 * with accept-new, and says so (--accept-new-host-key replaces a pin deliberately).
 */
export function resolveSsh(name: string, ssh: SshPlan, home: string, agentSocket: string | undefined, stateDir = '.', system: OpenHostOptions['systemSshConfig'] = {}): ResolvedSsh {
  const sshConfig = loadSshConfig({ home, ...system });
  if (ssh.sshConfigHost && !isHostAlias(sshConfig, ssh.sshConfigHost)) {
    throw new UsageError(`host ${name}: sshConfigHost ${ssh.sshConfigHost} is not a Host alias in ${join(home, '.ssh', 'config')} (nor the system's ssh_config)`, {
      hint: 'add a "Host" block for it to ~/.ssh/config or remove sshConfigHost from the inventory',
    });
  }
  const context = { home, localUser: userInfo().username };
  const target = ssh.sshConfigHost ?? ssh.address;
  const config = resolveSshConfig(sshConfig, target, context);
  const keyPath = config.identityFiles.find((f) => existsSync(f)) ?? ssh.key;
  const creds = credentials(name, keyPath, ssh.agent, agentSocket, config);

  const warnings: string[] = [];
  /** Whom to trust for one endpoint: the inventory's knownHosts for every one, else that endpoint's own ssh_config. */
  const hostKeysOf = (who: string, c: ResolvedSshConfig): SshHostOptions['knownHosts'] => {
    const userFiles = c.userKnownHostsFiles ?? DEFAULT_USER_KNOWN_HOSTS.map((f) => join(home, f.slice(2)));
    const globalFiles = c.globalKnownHostsFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS;
    const strict = c.strictHostKeyChecking?.value;
    if (strict === 'no') {
      warnings.push(`${c.strictHostKeyChecking!.where}: StrictHostKeyChecking no for ${who}: sriov-lxc still pins the host key on first use and refuses a changed one (--accept-new-host-key replaces the pin)`);
    }
    return {
      pinFile: join(stateDir, 'known_hosts'),
      trustedFiles: [...userFiles, ...globalFiles],
      ...(ssh.knownHosts !== undefined ? { knownHostsFiles: [ssh.knownHosts] } : strict === 'yes' ? { knownHostsFiles: [...userFiles, ...globalFiles] } : {}),
    };
  };

  // Every hop as ssh reaches it: its own block, user and port, key (else the node's) and agent.
  const jumps: HopEndpoint[] = resolveJumpChain(sshConfig, config, context).map(({ spec, config: hop }) => {
    const who = `${name} (jump host ${spec.host})`;
    return {
      host: hop.hostName ?? spec.host,
      port: hop.port ?? 22,
      username: hop.user ?? context.localUser,
      ...credentials(who, hop.identityFiles.find((f) => existsSync(f)) ?? keyPath, ssh.agent, agentSocket, hop),
      ...transport(hop),
      hostKeys: hostKeysOf(who, hop),
    };
  });
  const knownHosts = hostKeysOf(name, config);
  const endpoint: SshEndpoint = {
    host: config.hostName ?? target,
    port: config.port ?? ssh.port,
    username: config.user ?? ssh.user,
    ...creds,
    ...transport(config),
    ...(jumps.length > 0 ? { jumps } : {}),
  };
  return {
    endpoint,
    knownHosts,
    ...(config.connectTimeoutSeconds !== undefined ? { readyTimeoutMs: config.connectTimeoutSeconds * 1000 } : {}),
    ...(config.serverAliveIntervalSeconds !== undefined ? { keepaliveIntervalMs: config.serverAliveIntervalSeconds * 1000 } : {}),
    ...(config.serverAliveCountMax !== undefined ? { keepaliveCountMax: config.serverAliveCountMax } : {}),
    warnings,
  };
}

/** Where to connect and how to authenticate (see resolveSsh). */
export function resolveEndpoint(name: string, ssh: SshPlan, home: string, agentSocket: string | undefined, system: OpenHostOptions['systemSshConfig'] = {}): SshEndpoint {
  return resolveSsh(name, ssh, home, agentSocket, '.', system).endpoint;
}

export function openHost(plan: HostPlan, options: OpenHostOptions): Host {
  if (options.local) return new LocalHost(plan.name);
  const home = options.home ?? homedir();
  const resolved = resolveSsh(plan.name, plan.ssh, home, options.agentSocket ?? process.env.SSH_AUTH_SOCK, options.stateDir, options.systemSshConfig);
  for (const warning of resolved.warnings) options.onWarning?.(warning);
  return new SshHost({
    name: plan.name,
    endpoint: resolved.endpoint,
    knownHosts: resolved.knownHosts,
    ...(resolved.readyTimeoutMs !== undefined ? { readyTimeoutMs: resolved.readyTimeoutMs } : {}),
    ...(resolved.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: resolved.keepaliveIntervalMs } : {}),
    ...(resolved.keepaliveCountMax !== undefined ? { keepaliveCountMax: resolved.keepaliveCountMax } : {}),
    acceptChangedHostKey: options.acceptChangedHostKey ?? false,
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
}
