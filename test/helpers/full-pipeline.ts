// The whole pipeline (without the benchmark) over SSH on a lab node of one flavour, then the same
// command again: checked on the node itself, not from our state. One test file per flavour calls
// this, so ava runs the flavours' labs in parallel.
import type { TestFn } from 'ava';
import type { Flavour } from '../../lab/index.ts';
import { assertProvisioned, bootCount, bootId, describeRun, hostReport, onlyWithoutBenchmark, provisionArgs, runCli, stageOf, useLab, WITHOUT_BENCHMARK } from './lab-fixture.ts';

export function fullPipelineTests(test: TestFn, flavour: Flavour): void {
  const lab = useLab(test, flavour);

  test.serial(`lab: ${flavour} node provisioned over SSH with exactly one reboot; VFs, containers, hugepages and cmdline as planned`, async (t) => {
    t.timeout(150_000);
    const bootsBefore = bootCount(lab());
    const run = await runCli('provision', provisionArgs(lab(), ...onlyWithoutBenchmark()));
    t.is(run.code, 0, describeRun(run));
    const report = hostReport(run);
    t.true(report.ok);
    t.is(report.reboots, 1, 'one reboot, for the kernel cmdline');
    t.is(bootCount(lab()) - bootsBefore, 1, 'the node booted once more');
    for (const id of WITHOUT_BENCHMARK) t.is(stageOf(report, id).status, 'done', `${id} done`);
    t.is(stageOf(report, 'benchmark').status, 'skipped');
    await assertProvisioned(t, lab());
  });

  test.serial(`lab: ${flavour} second run: every stage done, nothing changed, no reboot`, async (t) => {
    t.timeout(60_000);
    const before = await bootId(lab());
    const run = await runCli('provision', provisionArgs(lab(), ...onlyWithoutBenchmark()));
    t.is(run.code, 0, describeRun(run));
    const report = hostReport(run);
    t.is(report.reboots, 0);
    for (const id of WITHOUT_BENCHMARK) {
      const s = stageOf(report, id);
      t.is(s.status, 'done', `${id}: ${s.reason ?? JSON.stringify(s.error)}`);
      t.false(s.changed, `${id} changed nothing`);
    }
    t.is(await bootId(lab()), before, 'same boot');
    await assertProvisioned(t, lab());
  });
}
