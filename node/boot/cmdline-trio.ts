// The kernel command line's way to the node, in either direction, on any boot method: three steps
// that the workflows run as three stages (arm → reboot → commit). Provisioning puts the plan's
// params on; teardown takes off what provisioning put on. With a trial boot (the default), the
// edit goes into a one-shot trial entry copied from the default entry (plus panic=N): GRUB clears
// the one-shot before it starts the trial kernel, so a kernel that does not come up falls back to
// the unchanged default by itself; the reboot boots it once and proves it; only then does the
// commit make the edit the node's configuration. Without a trial (trialBoot: false) the first step
// commits at once. The steps take a Host and plain values (BootRun); the stages in tasks/ wire them.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { distroOf, type NodeDistro } from '../facts/distro.ts';
import { unifiedDiff } from '../parse/diff.ts';
import { cmdlineSatisfies } from '../parse/cmdline.ts';
import { describeShortfall } from './boot-state.ts';
import { describeParamsEdit } from './grub-defaults.ts';
import {
  committedError,
  describeGoal,
  entryShortfall,
  goalOf,
  goalShortfall,
  isCommitted,
  isTrialArmed,
  runningCmdline,
  type BootConfig,
} from './grub-state.ts';
import { readBootConfig } from './boot-config.ts';
import type { CmdlineEdit, Direction } from './method.ts';
import { NO_TRIAL_HINT, armTrial, buildTrialEntry, checkTrialPossible, usesTrialBoot } from './trial.ts';
import { TRIAL_ENTRY_ID, TRIAL_PANIC_SECONDS } from './trial-entry.ts';

type Outputs = Readonly<Record<string, unknown>>;

/** What a step gets: the node, the plan, the distro, and what earlier stages recorded (by stage id). */
export interface BootRun {
  host: Host;
  plan: HostPlan;
  distro: NodeDistro;
  outputs: Readonly<Record<string, Outputs>>;
  /** A dry run: the arm step may not have prepared the next boot. */
  dryRun?: boolean;
}

/** A stage's run of the trio: its values as the stage has them, the distro read once from the outputs (or the node). */
export async function bootRunOf(c: Omit<BootRun, 'distro'>): Promise<BootRun> {
  return { host: c.host, plan: c.plan, distro: await distroOf(c.host, c.outputs), outputs: c.outputs, dryRun: c.dryRun ?? false };
}

export type StepCheck = { done: true; reason: string; outputs?: Record<string, unknown> } | { done: false; plan: string[]; diffs?: { path: string; diff: string }[] };

export interface TrioIds {
  arm: string;
  reboot: string;
  commit: string;
}

/** What the trial recorded when it armed. */
export interface ArmedTrial {
  trialEntry: string;
  params: string;
  fallbackEntry: string;
  grubenv: string;
}

export function armedTrial(outputs: Outputs | undefined): ArmedTrial | undefined {
  const o = outputs as Partial<Record<keyof ArmedTrial | 'method' | 'phase', unknown>> | undefined;
  if (o?.method !== 'trial' || o.phase !== 'armed') return undefined;
  const { trialEntry, params, fallbackEntry, grubenv } = o;
  if (typeof trialEntry !== 'string' || typeof params !== 'string' || typeof fallbackEntry !== 'string' || typeof grubenv !== 'string') return undefined;
  return { trialEntry, params, fallbackEntry, grubenv };
}

/** The edit the arm step recorded (add/remove), or undefined when it recorded none. */
export function recordedEdit(outputs: Outputs | undefined): CmdlineEdit | undefined {
  const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  const add = list(outputs?.['add']);
  const remove = list(outputs?.['remove']);
  return add && remove ? { add, remove } : undefined;
}

export interface Trio {
  arm: {
    check(run: BootRun): Promise<StepCheck>;
    apply(run: BootRun): Promise<void>;
    verify(run: BootRun): Promise<Record<string, unknown>>;
  };
  reboot: {
    /** Why the running kernel needs the boot (none: it has the edit already). */
    reasons(run: BootRun): Promise<string[]>;
    /** Throws when rebooting now would not boot the edit; otherwise the reboot in words. */
    planReboot(run: BootRun, runningOk: boolean): Promise<string>;
    /** What the boot must show, in words, for the engine's reboot budget message. */
    expects(run: BootRun): Promise<string>;
    /** Throws, with the diagnosis, when the new boot does not have the edit. */
    verify(run: BootRun, otherwise: (running: string, shortfall: string) => FatalError): Promise<string>;
  };
  commit: {
    check(run: BootRun): Promise<StepCheck>;
    apply(run: BootRun): Promise<void>;
    verify(run: BootRun): Promise<Record<string, unknown>>;
  };
}

export function cmdlineTrio(direction: Direction, ids: TrioIds): Trio {
  const read = (run: BootRun): Promise<BootConfig> => readBootConfig(run.host, run.distro, run.plan, direction, recordedEdit(run.outputs[ids.arm]));
  const what = (c: BootConfig): string => describeGoal(goalOf(c));
  const cameUp = (c: BootConfig): string => (direction === 'add' ? 'with the params' : what(c));
  /** "have a b" (provisioning), "are without c" (teardown). */
  const state = (c: BootConfig): string => (direction === 'add' ? `have ${c.params.edit.add.join(' ')}` : `are ${what(c)}`);
  const placeAndEntries = (c: BootConfig): string => `${c.params.path} and ${c.method.covers === 'every boot entry' ? 'every boot entry' : `the default boot entry "${c.entries.standing?.entry.title}"`}`;
  const fits = async (run: BootRun, c: BootConfig): Promise<boolean> => goalShortfall(await runningCmdline(run.host), goalOf(c)) === undefined;
  const kept = (c: BootConfig) => (c.params.kept ? [{ path: c.params.path, why: c.params.kept }] : []);

  // Teardown's report gathers `kept` from every stage: only the commit step names the files kept.
  const committedOutputs = (c: BootConfig, step: 'arm' | 'commit' = 'arm'): Record<string, unknown> => ({
    method: 'default',
    bootMethod: c.method.name,
    how: c.params.how,
    paramsFile: c.params.path,
    ...(c.params.backup ? { backup: c.params.backup } : {}),
    grubCfg: c.commands.grubCfgPath,
    entry: c.entries.standing?.entry.title,
    chosenBy: c.entries.standing?.chosenBy,
    params: c.entries.standing?.entry.params,
    add: c.params.edit.add,
    remove: c.params.edit.remove,
    ...(direction === 'remove' && step === 'commit' ? { kept: kept(c) } : {}),
  });

  async function trialDone(run: BootRun, c: BootConfig): Promise<string | undefined> {
    if (await fits(run, c)) {
      return direction === 'add' ? `the running kernel already has ${c.params.edit.add.join(' ')}; ${ids.commit} makes them the default` : `the running kernel is already ${what(c)}; ${ids.commit} makes that the default`;
    }
    if (isTrialArmed(c)) return `the next boot only starts the trial entry "${c.entries.next?.entry.title}" ${what(c)}; the default entry "${c.entries.standing?.entry.title}" stays as it is`;
    return undefined;
  }

  async function trialPlan(run: BootRun, c: BootConfig): Promise<StepCheck> {
    await checkTrialPossible(run.host, c);
    const trial = buildTrialEntry(run.host, c);
    const base = `"${trial.base.entry.title}"`;
    const changes = [...describeParamsEdit(trial.base.entry.params ?? '', c.params.edit, direction), `panic=${TRIAL_PANIC_SECONDS} unless it reboots on panic already`];
    return {
      done: false,
      plan: [
        ...c.params.notes.map((o) => `noticed: ${o}; ${c.params.path} will be read after it`),
        `copy the default entry ${base} into a trial entry (${c.method.trialPath}) that boots ${trial.params}: ${changes.join(', ')}`,
        ...(c.method.regenerates ? [`regenerate ${c.commands.grubCfgPath}: ${c.commands.mkconfig.join(' ')}`] : []),
        `${c.commands.reboot} ${TRIAL_ENTRY_ID}: the next boot only starts the trial entry; if its kernel does not come up, the boot after it starts ${base} again`,
        c.method.covers === 'every boot entry'
          ? `${c.params.also ? `${c.params.also.name} (what the entries read)` : 'every boot entry (grubby --update-kernel=ALL)'} and ${c.params.path} are changed after the trial boot came up ${cameUp(c)} (stage ${ids.commit})`
          : `${c.params.path} is changed after the trial boot came up ${cameUp(c)} (stage ${ids.commit})`,
      ],
      diffs: trial.script === c.trialScript ? [] : [{ path: c.method.trialPath, diff: unifiedDiff(c.method.trialPath, c.trialScript ?? '', trial.script) }],
    };
  }

  async function describeCommit(run: BootRun, c: BootConfig): Promise<StepCheck> {
    const diffs = c.params.target === c.params.current ? [] : [{ path: c.params.path, diff: unifiedDiff(c.params.path, c.params.current, c.params.target) }];
    return { done: false, plan: await c.method.describeCommit(run.host, c), diffs };
  }

  /** Refuses to make an edit the default that no boot has shown to work. A commit already begun is finished. */
  async function checkProven(run: BootRun, c: BootConfig): Promise<void> {
    if (!usesTrialBoot(run.plan) || c.params.target === c.params.current) return;
    const cmdline = await runningCmdline(run.host);
    if (goalShortfall(cmdline, goalOf(c)) === undefined) return;
    const claim = direction === 'add' ? `${c.params.edit.add.join(' ')} the default: the running kernel does not have them` : `the kernel command line ${what(c)} the default: the running kernel is not`;
    throw new FatalError(`${run.host.name}: not making ${claim}, so no boot has shown that ${direction === 'add' ? 'they work' : 'it works'} (/proc/cmdline: ${cmdline})`, {
      hint: `run the stages ${ids.arm} and ${ids.reboot} first (--from ${ids.arm}): they boot it once in a trial entry; or set trialBoot: false for this host to write it without a trial`,
    });
  }

  const leftToCommit = (c: BootConfig): string[] => [...c.method.leftovers(c), ...(c.params.how === 'restore' && c.params.backup ? [`remove ${c.params.backup}`] : [])];
  const pending = (c: BootConfig): boolean => !isCommitted(c) || leftToCommit(c).length > 0;

  /** The goal for the boot: what the arm step recorded, else what the node's files say now. */
  async function goal(run: BootRun): Promise<CmdlineEdit> {
    const recorded = recordedEdit(run.outputs[ids.arm]);
    if (recorded) return direction === 'add' ? { add: recorded.add, remove: [] } : recorded;
    return goalOf(await read(run));
  }

  async function trialFailedError(run: BootRun, trial: ArmedTrial, cmdline: string, goalNow: CmdlineEdit): Promise<FatalError> {
    const c = await read(run);
    // Provisioning names each missing param with what was found instead.
    const shortfall = direction === 'add' ? `lacks ${describeShortfall(cmdlineSatisfies(cmdline, goalNow.add))}` : (goalShortfall(cmdline, goalNow) ?? '');
    // grub-mkconfig's header clears a set next_entry whenever GRUB boots with it (00_header: `set
    // next_entry=; save_env next_entry`), whether or not the entry it names is still there.
    if (c.env.next_entry === TRIAL_ENTRY_ID) {
      return new FatalError(
        `${run.host.name}: the node rebooted without starting the trial entry "${trial.trialEntry}": next_entry=${TRIAL_ENTRY_ID} is still set in ${trial.grubenv}, so the GRUB that booted did not read it (/proc/cmdline ${shortfall})`,
        {
          hint: `the firmware may start another boot loader or grub.cfg than ${c.commands.grubCfgPath} (EFI boot order, a second disk); \`efibootmgr -v\` and the console show which. Clear the one-shot with \`${c.commands.editenv} ${trial.grubenv} unset next_entry\` or run again after fixing`,
        },
      );
    }
    return new FatalError(
      `${run.host.name}: the trial boot ${direction === 'add' ? `with the new params ${goalNow.add.join(' ')}` : describeGoal(goalNow)} did not come up: GRUB started "${trial.trialEntry}" once, and the node is back on its previous configuration, the unchanged default entry "${trial.fallbackEntry}" (/proc/cmdline: ${cmdline}; it ${shortfall})`,
      {
        hint: direction === 'add'
          ? 'the kernel with these params panicked or hung (see the node\'s console or the previous boot\'s kernel log); fix the params in the inventory (iommu, hugepages, pfs, kernelParams) or the BIOS, then run again (--retry-failed arms a new trial), within the reboot budget'
          : 'the kernel without them panicked or hung (see the node\'s console or the previous boot\'s kernel log); fix the cause, then run teardown again (--retry-failed arms a new trial), within the reboot budget',
      },
    );
  }

  return {
    arm: {
      async check(run) {
        const c = await read(run);
        if (isCommitted(c)) {
          const recorded = c.params.how === 'nothing' ? run.outputs[ids.arm] : undefined;
          const reason = c.params.how === 'nothing' && direction === 'remove' ? `nothing of sriov-lxc in ${c.params.path} (removed, or never written)` : `${placeAndEntries(c)} ${state(c)}`;
          return { done: true, reason, outputs: recorded ? { ...recorded } : committedOutputs(c) };
        }
        if (!usesTrialBoot(run.plan)) return describeCommit(run, c);
        const done = await trialDone(run, c);
        return done ? { done: true, reason: done } : trialPlan(run, c);
      },
      async apply(run) {
        const c = await read(run);
        if (usesTrialBoot(run.plan)) await armTrial(run.host, c, () => read(run));
        else await c.method.commit(run.host, c);
      },
      async verify(run) {
        const c = await read(run);
        if (isCommitted(c)) return committedOutputs(c);
        if (!usesTrialBoot(run.plan)) throw committedError(run.host, c);
        const edit = { add: c.params.edit.add, remove: c.params.edit.remove, bootMethod: c.method.name, how: c.params.how };
        const cmdline = await runningCmdline(run.host);
        if (goalShortfall(cmdline, goalOf(c)) === undefined) return { method: 'trial', phase: 'booted', cmdline, ...edit };
        const { next, standing } = c.entries;
        if (next && standing && isTrialArmed(c)) {
          return {
            method: 'trial',
            phase: 'armed',
            grubCfg: c.commands.grubCfgPath,
            grubenv: c.commands.grubenvPath,
            trialEntry: next.entry.title,
            params: next.entry.params,
            fallbackEntry: standing.entry.title,
            fallbackParams: standing.entry.params,
            ...edit,
          };
        }
        const why = entryShortfall(c, next, 'next boot entry') ?? `the next boot entry is "${next?.entry.title}" (${next?.chosenBy}), not the trial entry`;
        throw new FatalError(`${run.host.name}: after ${c.commands.reboot} ${TRIAL_ENTRY_ID}, ${why}`, {
          hint: `something else sets next_entry in ${c.commands.grubenvPath} or the default entry (\`${c.commands.editenv} ${c.commands.grubenvPath} list\` shows it); run again, or ${NO_TRIAL_HINT}`,
        });
      },
    },

    reboot: {
      async reasons(run) {
        const short = goalShortfall(await runningCmdline(run.host), await goal(run));
        return short ? [`the running kernel ${short}`] : [];
      },
      async planReboot(run, runningOk) {
        const c = await read(run);
        const shortfall = entryShortfall(c, c.entries.next, 'next boot entry');
        if (shortfall && run.dryRun) return `reboot ${run.host.name} into the boot ${ids.arm} prepares (this dry run prepares nothing: now ${shortfall})`;
        if (shortfall) {
          if (runningOk) {
            throw new FatalError(`${run.host.name}: the running kernel is ${what(c)} from a trial boot, but that is not the default yet: rebooting now would start the ${shortfall.slice('the '.length)}`, {
              hint: `make it the default first: run with --from ${ids.commit} (then the stages after it)`,
            });
          }
          throw new FatalError(`${run.host.name}: rebooting now would not give the kernel the ${direction === 'add' ? 'planned params' : 'command line teardown leaves'}: ${shortfall}`, {
            hint: `run ${ids.arm} first (--from ${ids.arm}, or --retry-failed, which starts there): it prepares the boot entry, or arms the one-shot trial boot again`,
          });
        }
        const trial = armedTrial(run.outputs[ids.arm]);
        return trial
          ? `reboot ${run.host.name} once into the trial entry "${trial.trialEntry}" (the default stays "${trial.fallbackEntry}") and wait for the new boot`
          : `reboot ${run.host.name} and wait for the new boot`;
      },
      async expects(run) {
        return `a kernel command line ${describeGoal(await goal(run))}`;
      },
      async verify(run, otherwise) {
        const cmdline = await runningCmdline(run.host);
        const goalNow = await goal(run);
        const shortfall = goalShortfall(cmdline, goalNow);
        if (shortfall === undefined) return cmdline;
        const trial = armedTrial(run.outputs[ids.arm]);
        if (trial) throw await trialFailedError(run, trial, cmdline, goalNow);
        throw otherwise(cmdline, shortfall);
      },
    },

    commit: {
      async check(run) {
        const c = await read(run);
        if (!pending(c)) return { done: true, reason: `${placeAndEntries(c)} ${state(c)}; no trial entry left`, outputs: committedOutputs(c, 'commit') };
        if (direction === 'add' && !isCommitted(c) && !run.dryRun) await checkProven(run, c);
        // Teardown's check does not refuse: a dry run describes the whole way back; apply refuses without the proof.
        return describeCommit(run, c);
      },
      async apply(run) {
        const c = await read(run);
        if (!isCommitted(c)) await checkProven(run, c);
        await c.method.commit(run.host, c);
      },
      async verify(run) {
        const c = await read(run);
        if (!isCommitted(c)) throw committedError(run.host, c);
        const left = leftToCommit(c);
        if (left.length > 0) {
          throw new FatalError(`${run.host.name}: the trial boot is not cleaned up: still to ${left.join(', ')}`, {
            hint: 'something else on the node writes them back; remove them by hand and run again',
          });
        }
        return committedOutputs(c, 'commit');
      },
    },
  };
}
