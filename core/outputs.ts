// What earlier stages recorded, as later stages read it: through a typed key that names the stage,
// the field and how to recognise a value of its type (a checkpoint is JSON from disk, possibly from
// an older sriov-lxc), never through a string looked up by hand. The keys live beside the types
// they describe (node/facts/distro.ts, node/vfs/outputs.ts, ...); the stages pass the values on.

/** The outputs of the earlier stages of one host, by stage id, as the checkpoint keeps them. */
export type RecordedOutputs = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export interface OutputKey<T> {
  /** The id of the stage that records it. */
  stage: string;
  /** Its field in that stage's outputs. */
  field: string;
  is(value: unknown): value is T;
}

/** The value `key` names, when its stage recorded one of the right shape. */
export function recorded<T>(outputs: RecordedOutputs, key: OutputKey<T>): T | undefined {
  const value = outputs[key.stage]?.[key.field];
  return key.is(value) ? value : undefined;
}
