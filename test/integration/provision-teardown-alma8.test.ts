// AlmaLinux 8 booted by BIOS, on one lab node: kernel params in grubenv's kernelopts, which the
// BLS entries read (`options $kernelopts $tuned_params`), and in GRUB_CMDLINE_LINUX (EL8's
// grub2-mkconfig sets kernelopts from it). Teardown (killed -9 at a stage boundary and during its
// reboot, resumed) gives the node back as before provisioning: BLS entries, grubenv with
// kernelopts, /etc/default/grub; provisioned again, it is identical to one provisioned once; then a
// plain reset keeps the params, read on the node: kernelopts, the entries, /etc/default/grub, the
// booted kernel, and what EL8's own grub2-mkconfig would write into kernelopts.
import test from 'ava';
import { labReboot } from '../../lab/index.ts';
import { cmdlineSatisfies } from '../../node/parse/cmdline.ts';
import { teardownTests } from '../helpers/teardown-tests.ts';
import { NODE, onNode } from '../helpers/lab-fixture.ts';

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
