// Parser of `iperf3 -c ... -J` output (iperf3 3.x, TCP). Pure: JSON text in, one sample out.
// iperf3 -J exits 0 even when it could not connect: the failure is the "error" member.
import type { Iperf3Sample } from '../results/results.ts';

export type Iperf3Outcome =
  | { ok: true; sample: Iperf3Sample; reverse: boolean }
  | { ok: false; error: string };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberAt(object: Json, key: string, where: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`iperf3 JSON: ${where}.${key} is missing or not a number`);
  return value;
}

export function parseIperf3(text: string): Iperf3Outcome {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const start = text.trim().slice(0, 120);
    throw new Error(`iperf3 output is not JSON (was -J given?): ${start === '' ? '(empty)' : JSON.stringify(start)}`);
  }
  if (!isObject(data)) throw new Error('iperf3 JSON: the top level is not an object');
  if (typeof data.error === 'string') return { ok: false, error: data.error };
  const testStart = isObject(data.start) && isObject(data.start.test_start) ? data.start.test_start : {};
  // A UDP test has sum_sent/sum_received too (3.x), but its numbers are the offered rate and datagrams, not TCP goodput.
  if (testStart.protocol !== undefined && testStart.protocol !== 'TCP') {
    throw new Error(`iperf3 JSON: a ${String(testStart.protocol)} test (start.test_start.protocol); the benchmark reads TCP tests only (iperf3 without -u)`);
  }
  const end = data.end;
  if (!isObject(end)) throw new Error('iperf3 JSON: no "end" section (the test did not finish)');
  const sent = end.sum_sent;
  const received = end.sum_received;
  if (!isObject(sent) || !isObject(received)) throw new Error('iperf3 JSON: no end.sum_sent/sum_received (was it a UDP test?)');
  const retransmits = sent.retransmits;
  return {
    ok: true,
    reverse: testStart.reverse === 1,
    sample: {
      receivedBps: numberAt(received, 'bits_per_second', 'end.sum_received'),
      sentBps: numberAt(sent, 'bits_per_second', 'end.sum_sent'),
      retransmits: typeof retransmits === 'number' && Number.isInteger(retransmits) && retransmits >= 0 ? retransmits : null,
    },
  };
}

/** The server is running another client's test: worth waiting and trying again. */
export function isServerBusy(error: string): boolean {
  return /server is busy/i.test(error);
}
