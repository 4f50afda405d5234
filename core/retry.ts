// Retry policies. Every wait and every transient failure goes through p-retry (but the polls of a
// node that is down after a reboot: engine/reboot.ts, on the clock's grid); fatal errors are never
// retried (the classification is isTransient in errors.ts).
import pRetry, { AbortError } from 'p-retry';
import { isTransient } from './errors.ts';

export interface RetryPolicy {
  retries: number;
  minTimeout: number;
  maxTimeout: number;
  /** Give up after this long in total (ms), whatever `retries` says. */
  maxRetryTime?: number;
}

export interface RetryTimings {
  /** A stage whose check/apply/verify hit a connection problem: run it again. */
  stage: RetryPolicy;
  /** verify() throwing NotReadyError while the world settles (VFs appearing, containers starting). */
  settle: RetryPolicy;
  /** Polling for the node to come back after a reboot, with fresh connections. */
  rebootReturn: RetryPolicy;
}

export const DEFAULT_TIMINGS: RetryTimings = {
  stage: { retries: 4, minTimeout: 500, maxTimeout: 4000 },
  settle: { retries: 30, minTimeout: 200, maxTimeout: 2000, maxRetryTime: 60_000 },
  // While the node still answers (before it goes down), every 0.25-0.5 s: each such poll is an SSH
  // login. Once a poll finds it down, waitForNewBoot polls every 0.05 s with bare TCP connects (a
  // refused connection costs the node nothing), and the login goes over the connection that was
  // accepted, so a returned node is seen at most ~0.05 s plus one SSH login after its sshd is ready.
  // maxRetryTime is --reboot-timeout, for both phases together.
  rebootReturn: { retries: 10_000, minTimeout: 250, maxTimeout: 500, maxRetryTime: 600_000 },
};

export interface AttemptInfo {
  attempt: number;
  retriesLeft: number;
  error: unknown;
}

/** Runs `fn`, retrying transient errors only; anything else rejects at once with the original error. */
export async function retryTransient<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (info: AttemptInfo) => void,
  signal?: AbortSignal,
): Promise<T> {
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (error) {
        if (isTransient(error)) throw error;
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: policy.retries,
      minTimeout: policy.minTimeout,
      maxTimeout: policy.maxTimeout,
      maxRetryTime: policy.maxRetryTime ?? Number.POSITIVE_INFINITY,
      randomize: true,
      signal,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => onRetry?.({ attempt: attemptNumber, retriesLeft, error }),
    },
  );
}
