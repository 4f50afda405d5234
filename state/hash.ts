// Stable hashes of JSON values: the plan hash of a host and the inputs hash of a stage. Two values
// that serialise to the same JSON up to key order hash the same.

import { createHash } from 'node:crypto';

/** JSON text of `value` with the keys of every object sorted, so key order does not matter. */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
  if (text === undefined) throw new TypeError(`Cannot hash ${typeof value}: not a JSON value`);
  return text;
}

/** First 16 hex digits of the sha256 of the canonical JSON of `value`. */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
