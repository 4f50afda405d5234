// One iperf3 test at a time per peer from this process. An iperf3 server runs one test at a time
// and answers any other client "the server is busy"; the hosts of a fleet run their benchmark
// stages at once against the same peer. Without turns they collided, retried, and ran out of
// retries (8 lab nodes: 5 failed at benchmark). A client of another controller can still find the
// server busy: the runner's retry covers that.
const lastTurn = new Map<string, Promise<void>>();

/** Runs `fn` when every earlier call for `peer` has ended (in call order). */
export async function inPeerTurn<T>(peer: string, fn: () => Promise<T>): Promise<T> {
  const previous = lastTurn.get(peer) ?? Promise.resolve();
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const turn = previous.then(() => ended);
  lastTurn.set(peer, turn);
  await previous;
  try {
    return await fn();
  } finally {
    end();
    if (lastTurn.get(peer) === turn) lastTurn.delete(peer);
  }
}
