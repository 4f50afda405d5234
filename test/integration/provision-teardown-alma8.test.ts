// AlmaLinux 8 booted by BIOS, on one lab node: kernel params in grubenv's kernelopts, which the
// BLS entries read (`options $kernelopts $tuned_params`), and in GRUB_CMDLINE_LINUX (EL8's
// grub2-mkconfig sets kernelopts from it). Teardown (killed -9 at a stage boundary and during its
// reboot, resumed) gives the node back as before provisioning: BLS entries, grubenv with
// kernelopts, /etc/default/grub; provisioned again, it is identical to one provisioned once; then a
// plain reset keeps the params, read on the node: kernelopts, the entries, /etc/default/grub, the
// booted kernel, and what EL8's own grub2-mkconfig would write into kernelopts. Last, the fallback:
// with bad-cmdline, teardown's trial kernel (without the params) panics, GRUB boots the default
// again, and nothing of the node's boot configuration changed; without the fault, teardown finishes.
import test from 'ava';
import { labFault, labReboot, nodePower } from '../../lab/index.ts';
import { cmdlineSatisfies } from '../../node/parse/cmdline.ts';
import { teardownArgs, teardownTests } from '../helpers/teardown-tests.ts';
import { NODE, describeRun, hostReport, onNode, runCli, stageOf } from '../helpers/lab-fixture.ts';

const lab = teardownTests(test, 'alma8', 'kills');

/** grubenv's kernelopts, read with the node's own grub2-editenv. */
async function kernelopts(): Promise<string> {
  return (await onNode(lab(), ['grub2-editenv', '-', 'list'])).split('\n').find((l) => l.startsWith('kernelopts='))?.slice('kernelopts='.length) ?? '';
}

test.serial('lab: alma8 provisioned: a plain reset keeps the params; kernelopts, GRUB_CMDLINE_LINUX and the booted kernel have them, every entry still reads $kernelopts, and grub2-mkconfig keeps them', async (t) => {
  t.timeout(300_000);
  const params = lab().plan.kernelParams;
  await labReboot(lab().dir, NODE, { timeoutMs: 180_000 });
  const cmdline = (await onNode(lab(), ['cat', '/proc/cmdline'])).trim();
  t.true(cmdlineSatisfies(cmdline, params).ok, `/proc/cmdline after a plain reset: ${cmdline}`);
  t.false(/\bpanic=10\b/.test(cmdline), 'the default entry, not the trial');
  t.true(cmdlineSatisfies(await kernelopts(), params).ok, `kernelopts: ${await kernelopts()}`);
  const options = (await onNode(lab(), ['sh', '-c', 'grep -H "^options" /boot/loader/entries/*.conf'])).trim().split('\n');
  t.true(options.length > 0 && options.every((l) => /:options \$kernelopts \$tuned_params$/.test(l)), options.join('\n'));
  const defaults = await onNode(lab(), ['cat', '/etc/default/grub']);
  const linux = /^GRUB_CMDLINE_LINUX="(.*)"$/m.exec(defaults)?.[1] ?? '';
  t.true(cmdlineSatisfies(linux, params).ok, `GRUB_CMDLINE_LINUX: ${linux}`);
  // An operator (or a package) runs EL8's grub2-mkconfig: kernelopts is written again from
  // GRUB_CMDLINE_LINUX, and the params stay.
  await onNode(lab(), ['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg']);
  t.true(cmdlineSatisfies(await kernelopts(), params).ok, `kernelopts after grub2-mkconfig: ${await kernelopts()}`);
});

/** What carries the params on an EL8 node, read with its own tools. */
async function bootConfig(): Promise<string> {
  return onNode(lab(), ['sh', '-c', 'grub2-editenv - list | grep "^kernelopts="; grep -H "^options" /boot/loader/entries/*.conf | grep -v sriov-lxc-trial; grep "^GRUB_CMDLINE_LINUX=" /etc/default/grub']);
}

test.serial('lab: alma8 teardown with bad-cmdline: the trial kernel panics, GRUB falls back to the default with the params, kernelopts, entries and /etc/default/grub unchanged; without the fault teardown finishes', async (t) => {
  t.timeout(600_000);
  const before = await bootConfig();
  const cmdline = (await onNode(lab(), ['cat', '/proc/cmdline'])).trim();
  await labFault(lab().dir, NODE, 'bad-cmdline', true);
  const failed = await runCli('teardown', teardownArgs(lab()), 400_000);
  await labFault(lab().dir, NODE, 'bad-cmdline', false);
  t.not(failed.code, 0, describeRun(failed));
  const report = hostReport(failed);
  t.is(stageOf(report, 'teardown-reboot').status, 'failed');
  t.regex(stageOf(report, 'teardown-reboot').error?.message ?? '', /the trial boot without .* did not come up/);
  t.true((nodePower(lab().dir, NODE)?.history ?? []).some((h) => /^kernel panic with .* panic=10 \(fault bad-cmdline\)/.test(h.event)), 'the trial kernel panicked');
  t.is((await onNode(lab(), ['cat', '/proc/cmdline'])).trim(), cmdline, 'back on the default entry, params and all');
  t.is(await bootConfig(), before, 'kernelopts, the entries and GRUB_CMDLINE_LINUX as they were');

  const retried = await runCli('teardown', teardownArgs(lab(), '--retry-failed'), 400_000);
  t.is(retried.code, 0, describeRun(retried));
  t.false(cmdlineSatisfies(await kernelopts(), lab().plan.kernelParams).ok, `kernelopts after teardown: ${await kernelopts()}`);
});
