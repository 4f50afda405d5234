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
import { isHostAlias, parseSshConfig, resolveSshConfig } from './ssh-config.ts';
import { SshHost, type RetryNotice, type RetryPolicy, type SshEndpoint } from './ssh.ts';

export interface OpenHostOptions {
  /** Run on this machine instead of over SSH. */
  local: boolean;
  /** The state directory; host keys are pinned in `<stateDir>/known_hosts`. */
  stateDir: string;
  /** Replace a changed pinned host key (--accept-new-host-key). */
  acceptChangedHostKey?: boolean;
  retry?: Partial<RetryPolicy>;
  onRetry?: (notice: RetryNotice) => void;
  /** Told when a changed host key was accepted. */
  onWarning?: (message: string) => void;
  /** Defaults to the user's home directory (~/.ssh/config, ~/.ssh/known_hosts). */
  home?: string;
  /** Defaults to $SSH_AUTH_SOCK. */
  agentSocket?: string;
}

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/**
 * Where to connect and how to authenticate. ~/.ssh/config is applied when the plan names an alias
 * (sshConfigHost) or its address is written literally on a Host line; its values then win over
 * the plan's (the user chose the alias), and the plan fills what the config leaves out.
 */
export function resolveEndpoint(name: string, ssh: SshPlan, home: string, agentSocket: string | undefined): SshEndpoint {
  const configPath = join(home, '.ssh', 'config');
  const configText = readIfPresent(configPath);
  const blocks = configText === undefined ? [] : parseSshConfig(configText, configPath);
  const alias = ssh.sshConfigHost ?? (isHostAlias(blocks, ssh.address) ? ssh.address : undefined);
  if (ssh.sshConfigHost && !isHostAlias(blocks, ssh.sshConfigHost)) {
    throw new UsageError(`host ${name}: sshConfigHost ${ssh.sshConfigHost} is not a Host alias in ${configPath}`, {
      hint: 'add a "Host" block for it to ~/.ssh/config or remove sshConfigHost from the inventory',
    });
  }
  const config = alias === undefined ? { identityFiles: [] } : resolveSshConfig(blocks, alias, { home, localUser: userInfo().username });
  const keyPath = config.identityFiles.find((f) => existsSync(f)) ?? ssh.key;
  if (ssh.agent && !agentSocket) {
    throw new UsageError(`host ${name}: agent: true but SSH_AUTH_SOCK is not set`, { hint: 'start ssh-agent and add your key (ssh-add), or set key: in the inventory' });
  }
  if (keyPath !== undefined && !existsSync(keyPath)) {
    throw new UsageError(`host ${name}: the SSH key ${keyPath} does not exist`, { hint: 'set key: to an existing private key file, or use agent: true' });
  }
  // sriov-lxc never asks for a passphrase: an encrypted key is used through the agent, which holds
  // it decrypted after ssh-add (ssh2 would stop at the key and never try the agent).
  const encrypted = keyPath !== undefined && keyProtection(readFileSync(keyPath, 'utf8')) === 'encrypted';
  const useAgent = ssh.agent || (encrypted && agentSocket !== undefined);
  if (encrypted && !useAgent) {
    throw new UsageError(`host ${name}: the SSH key ${keyPath} is encrypted and sriov-lxc does not ask for passphrases`, {
      hint: `start ssh-agent, add the key (ssh-add ${keyPath}) and run sriov-lxc with SSH_AUTH_SOCK set; the agent is then used for this key`,
    });
  }
  const privateKeyPath = encrypted ? undefined : keyPath;
  if (privateKeyPath === undefined && !useAgent) {
    throw new UsageError(`host ${name}: no way to authenticate over SSH`, { hint: 'set key: (a private key file) or agent: true in the inventory' });
  }
  return {
    host: config.hostName ?? (alias === ssh.address || alias === undefined ? ssh.address : alias),
    port: config.port ?? ssh.port,
    username: config.user ?? ssh.user,
    ...(privateKeyPath !== undefined ? { privateKeyPath } : {}),
    ...(useAgent && agentSocket ? { agentSocket } : {}),
  };
}

export function openHost(plan: HostPlan, options: OpenHostOptions): Host {
  if (options.local) return new LocalHost(plan.name);
  const home = options.home ?? homedir();
  const endpoint = resolveEndpoint(plan.name, plan.ssh, home, options.agentSocket ?? process.env.SSH_AUTH_SOCK);
  return new SshHost({
    name: plan.name,
    endpoint,
    knownHosts: {
      ...(plan.ssh.knownHosts !== undefined ? { knownHostsFile: plan.ssh.knownHosts } : {}),
      pinFile: join(options.stateDir, 'known_hosts'),
      trustedFiles: [join(home, '.ssh', 'known_hosts')],
    },
    acceptChangedHostKey: options.acceptChangedHostKey ?? false,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
}
