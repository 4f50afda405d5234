// The grub.d method: what grub-mkconfig makes of /etc/default/grub and /etc/default/grub.d/*.cfg
// (the node prints the two variables after each file it sources), the overrides noticed and named,
// our drop-in that has the last word (files read after it: method-grub-dropin.test.ts). The steps
// are those of an Ubuntu 24.04 cloud image (its 50-cloudimg-settings.cfg) with a site drop-in.
import test from 'ava';
import { createHash } from 'node:crypto';
import { cmdlineSatisfies } from '../../../../node/parse/cmdline.ts';
import { lastSetters, parseGrubDefaultsTrace } from '../../../../node/parse/grub-defaults-trace.ts';
import { describeOverrides, effectiveCmdlineOf, renderDropin } from '../../../../node/boot/method-grub-dropin.ts';
import { labNodePlan } from '../../../helpers/plans.ts';

const step = (kind: string, file: string, linux: string, linuxDefault: string): string => [kind, file, linux, linuxDefault, ''].join('\0');
const base = [
  ['/etc/default/grub', '', 'quiet splash'],
  ['/etc/default/grub.d/50-cloudimg-settings.cfg', '', 'console=tty1 console=ttyS0'],
  ['/etc/default/grub.d/60-site-net.cfg', 'net.ifnames=0 biosdevname=0', 'console=tty1 console=ttyS0'],
] as const;
const trace = (kind: 'base' | 'full', extra: string[][] = []): string => [...base, ...extra].map(([f, l, d]) => step(kind, f!, l!, d!)).join('');

test('the trace: every file in order, the values grub-mkconfig ends with, who set them', (t) => {
  const parsed = parseGrubDefaultsTrace(`${trace('base')}${trace('full')}end\0`);
  t.is(parsed.base.length, 3);
  t.is(effectiveCmdlineOf(parsed, 'base'), 'net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0');
  t.deepEqual(lastSetters(parsed.base), { linux: '/etc/default/grub.d/60-site-net.cfg', linuxDefault: '/etc/default/grub.d/50-cloudimg-settings.cfg' });
  t.deepEqual(describeOverrides(parsed), [
    'GRUB_CMDLINE_LINUX comes from /etc/default/grub.d/60-site-net.cfg, which overrides /etc/default/grub',
    'GRUB_CMDLINE_LINUX_DEFAULT comes from /etc/default/grub.d/50-cloudimg-settings.cfg, which overrides /etc/default/grub',
  ]);
});

test('our drop-in keeps what the other files set and adds the plan; read last, it gives the kernel the params', (t) => {
  const plan = labNodePlan();
  const parsed = parseGrubDefaultsTrace(`${trace('base')}${trace('full')}end\0`);
  const text = renderDropin(parsed, plan);
  const linux = /^GRUB_CMDLINE_LINUX='(.*)'$/m.exec(text)?.[1] ?? '';
  const linuxDefault = /^GRUB_CMDLINE_LINUX_DEFAULT='(.*)'$/m.exec(text)?.[1] ?? '';
  t.true(linux.startsWith('net.ifnames=0 biosdevname=0 '), linux);
  t.is(linuxDefault, 'console=tty1 console=ttyS0');
  t.true(cmdlineSatisfies(`${linux} ${linuxDefault}`, plan.kernelParams).ok);
  t.regex(text, /GRUB_CMDLINE_LINUX as \/etc\/default\/grub\.d\/60-site-net\.cfg set it/);
  // The file's two assignments, written out here from the plan, and the checksum line over them
  // (sha256 of those two lines, computed here) that tells our file from one the operator edited.
  const body = `GRUB_CMDLINE_LINUX='net.ifnames=0 biosdevname=0 ${plan.kernelParams.join(' ')}'\nGRUB_CMDLINE_LINUX_DEFAULT='console=tty1 console=ttyS0'\n`;
  t.true(text.endsWith(`\n# sriov-lxc sha256 of the two lines below: ${createHash('sha256').update(body).digest('hex')}\n${body}`), text);
});

test('a file sh cannot source stops the trace: refused with the way to find it', (t) => {
  t.throws(() => parseGrubDefaultsTrace(trace('base')), { message: /stopped before the end/ });
});
