// The reboot protocol (README "The reboot protocol"): boot_id before, a detached reboot so the SSH
// command returns, then polls until a *different* boot_id answers (read by a command: the node runs
// them) on a connection made after the node went down.
import { setTimeout as delay } from 'node:timers/promises';
import type { Host } from '../hosts/host.ts';
import { FatalError, isTransient, NotReadyError, TransportError } from '../core/errors.ts';
import { retryTransient, type AttemptInfo, type RetryPolicy } from '../core/retry.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How long after the request the node starts to reboot (DETACHED_REBOOT's delay). */
const REBOOT_DELAY_S = 2;

// systemd-run returns at once and reboots 2 s later; without systemd a detached shell does the same.
// Either way the command exits 0 before the node goes down, so our SSH session is not cut mid-call.
const DETACHED_REBOOT = [
  'sh',
  '-c',
  'if command -v systemd-run >/dev/null 2>&1 && [ -d /run/systemd/system ]; then ' +
    `systemd-run --on-active=${REBOOT_DELAY_S} systemctl reboot; ` +
    `else nohup sh -c 'sleep ${REBOOT_DELAY_S}; reboot' >/dev/null 2>&1 </dev/null & fi`,
];

/** The node did not come back in time. The checkpoint stays at `rebooting`; a re-run resumes. */
export class RebootTimeoutError extends FatalError {}

/**
 * Requests the reboot; returns the earliest time (ms since the epoch) the node can go down: its
 * delay counts from when the node runs the command, after it was sent.
 */
export async function issueReboot(host: Host): Promise<number> {
  await host.exec(['sync']);
  const sentAt = Date.now();
  try {
    await host.run(DETACHED_REBOOT);
  } catch (error) {
    // The connection may already be going down with the node: that is the reboot working.
    if (!(error instanceof TransportError)) throw error;
  }
  // The connection stays open: waitForNewBoot asks on it whether the node has gone down yet.
  return sentAt + REBOOT_DELAY_S * 1000;
}

/**
 * Once a poll finds the node down (no connection), the next polls come this often: each is a bare TCP
 * connect that costs the node and the controller almost nothing (an SshHost through a jump host spaces
 * its own attempts, see SshHost.bootId), and the node's sshd being ready is then seen within ~0.05 s
 * instead of up to the policy's 0.5 s (a refused probe: ~0.15 ms of controller CPU, measured). While the node is still up, each poll is a whole SSH login, so
 * that phase keeps the policy's slower pace.
 */
const DOWN_POLL_MS = 50;

/**
 * Until the next multiple of `everyMs` on the clock: every node this process polls while it is down
 * comes due at the same instant, so the controller wakes once per tick for all of them. Each on its
 * own phase woke it once per node per tick: 8 nodes down for 8 s, 5.7-7.1 ms of CPU per node per
 * second polled against 3.6-3.8 on one grid (3 runs each, refused connections on loopback).
 */
function untilNextTick(everyMs: number): number {
  return everyMs - (Date.now() % everyMs);
}

/** Sleeps; a stop rejects with the signal's reason, as the polls do. */
async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}

/**
 * While the node still answers with its old boot, it is asked again on the same connection: a new
 * login per poll cost the controller a key exchange and the node an sshd (4 of a lab node's 6
 * logins, about 0.025 CPU-s of the controller per node, measured; a real node shuts down for far
 * longer than the lab's 2 s). A reset node closes nothing: a read with no answer in this time
 * drops the connection and counts as the node gone.
 */
const HELD_POLL_TIMEOUT_MS = 2000;

/** Polls until boot_id differs from `prevBootId` (see HELD_POLL_TIMEOUT_MS for the connection it asks on); returns the new one. */
export async function waitForNewBoot(
  host: Host,
  prevBootId: string,
  policy: RetryPolicy,
  onWait?: (info: AttemptInfo) => void,
  signal?: AbortSignal,
  downNotBefore?: number,
): Promise<string> {
  const started = Date.now();
  const deadline = started + (policy.maxRetryTime ?? Number.POSITIVE_INFINITY);
  // Before the node can go down it answers with its old boot: a poll then is a round trip and a
  // command on the node for nothing (3 to 4 of a lab node's 6 polls).
  const quiet = Math.min(downNotBefore ?? 0, deadline) - Date.now();
  if (quiet > 0) await sleep(quiet, signal);
  let polls = 0;
  // Numbered across both phases, so the wait's title counts on.
  const report = onWait && ((info: AttemptInfo) => onWait({ ...info, attempt: polls }));
  /** One poll: the new boot id once the node runs commands. */
  const poll = async (): Promise<string> => {
    polls += 1;
    let bootId: string;
    try {
      bootId = await host.bootId({ timeoutMs: HELD_POLL_TIMEOUT_MS });
    } catch (error) {
      await host.disconnect();
      throw error;
    }
    if (bootId === prevBootId) throw new NotReadyError(`${host.name} has not gone down yet (boot_id unchanged)`);
    if (!UUID.test(bootId)) throw new NotReadyError(`${host.name} answered an unexpected boot_id: ${JSON.stringify(bootId)}`);
    // The boot id is a command's output (cat in a new session): the node runs commands, not just
    // accepts connections. A second command to show it (`true`, as before) cost a round trip on a
    // node still busy booting, between its sshd being ready and the run going on.
    return bootId;
  };
  /** Phase one: until the node answers with a new boot, or answers not at all (it went down). */
  const pollUntilDown = async (): Promise<string | undefined> => {
    try {
      return await poll();
    } catch (error) {
      if (error instanceof TransportError) return undefined;
      throw error;
    }
  };
  try {
    const early = await retryTransient(pollUntilDown, policy, report, signal);
    if (early !== undefined) return early;
    // Phase two, the node down: not p-retry's pace (its own phase per node) but the clock's grid.
    const every = Math.min(policy.minTimeout, DOWN_POLL_MS);
    for (let retry = 1; ; retry++) {
      signal?.throwIfAborted();
      try {
        return await poll();
      } catch (error) {
        if (!isTransient(error) || retry > policy.retries || Date.now() >= deadline) throw error;
        report?.({ attempt: retry, retriesLeft: policy.retries - retry, error });
      }
      await sleep(Math.min(untilNextTick(every), deadline - Date.now()), signal);
    }
  } catch (error) {
    if (error instanceof NotReadyError || error instanceof TransportError) {
      const waited = Math.round((Date.now() - started) / 1000);
      throw new RebootTimeoutError(`${host.name} did not come back from the reboot within ${waited} s (${error.message})`, {
        hint: 'check the node on its console/BMC; when it is up, run the same command again: it resumes with verify and does not reboot again',
      });
    }
    throw error;
  }
}
