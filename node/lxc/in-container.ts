// Commands run in a container. Network commands enter only its network namespace
// (`lxc-attach -s NETWORK`) and so run the host's iproute2: a container may have no `ip`, or
// busybox's, which has no -j. Reachability is tested with the container's own ping, the program
// its workloads would use.

/** The VF's name inside the container (lxc.net.0.name), as in the paper's tc examples. */
export const CONTAINER_IFNAME = 'eth0';

export function inNetns(name: string, argv: readonly string[]): string[] {
  return ['lxc-attach', '-n', name, '-s', 'NETWORK', '--', ...argv];
}

export function inContainer(name: string, argv: readonly string[]): string[] {
  return ['lxc-attach', '-n', name, '--', ...argv];
}

export function pingArgv(name: string, peer: string): string[] {
  return inContainer(name, ['ping', '-c', '1', '-W', '2', peer]);
}

/** lxc-attach could not start the program (exit 127 and its "Failed to exec" message). */
export function missingProgram(code: number, stderr: string): boolean {
  return code === 127 || /Failed to exec/.test(stderr);
}
