// The lab firmware on EL9 and UEFI nodes: GRUB's blscfg turning /boot/loader/entries into menu
// entries (newest first, id = file name), saved_entry and a one-shot next_entry naming a BLS id,
// and the EFI system partition's stub that points GRUB at the grub.cfg in /boot. grub.cfg is the
// one captured on a Rocky 8.10 node (test/fixtures/parse/grub-rocky8-bls.cfg); the BLS files are
// in the format kernel-install's 20-grub.install writes on EL9.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { chooseBoot } from '../../lab/firmware.ts';
import { blsMenuEntries, efiStubConfigDir, setGrubEnvVar } from '../../lab/grub.ts';

const cfg = readFileSync(new URL('../fixtures/parse/grub-rocky8-bls.cfg', import.meta.url), 'utf8').replace('set default="0"', 'set default="${saved_entry}"');
const mid = '2f64394da8474c1abda9e658edc017ad';
const entry = (version: string, options: string): { file: string; text: string } => ({
  file: `${mid}-${version}.conf`,
  text: `title AlmaLinux (${version}) 9.4 (Seafoam Ocelot)\nversion ${version}\nlinux /vmlinuz-${version}\ninitrd /initramfs-${version}.img $tuned_initrd\noptions ${options}\ngrub_users $grub_users\ngrub_arg --unrestricted\ngrub_class almalinux\n`,
});
const files = [entry('5.14.0-427.13.1.el9_4.x86_64', 'root=/dev/mapper/almalinux-root ro rhgb quiet $tuned_params'), entry('5.14.0-70.13.1.el9_0.x86_64', 'root=/dev/mapper/almalinux-root ro')];
const env = (vars: Record<string, string>): string => Object.entries(vars).reduce((text, [k, v]) => setGrubEnvVar(text, k, v), '');

test('lab: blscfg lists the BLS files newest kernel first, by file name', (t) => {
  const menu = blsMenuEntries([...files].reverse());
  t.deepEqual(menu.map((e) => e.id), [`${mid}-5.14.0-427.13.1.el9_4.x86_64`, `${mid}-5.14.0-70.13.1.el9_0.x86_64`]);
  t.is(menu[0]?.linux?.image, '/vmlinuz-5.14.0-427.13.1.el9_4.x86_64');
});

test('lab: firmware boots the BLS entry saved_entry names, with its options ($tuned_params empty)', (t) => {
  const choice = chooseBoot({ grubCfg: cfg, grubEnv: env({ saved_entry: `${mid}-5.14.0-70.13.1.el9_0.x86_64` }), blsFiles: files, lastCmdline: undefined, lastGoodCmdline: undefined, grubIgnored: false, badCmdline: false, retry: false });
  t.is(choice.cmdline, 'BOOT_IMAGE=/vmlinuz-5.14.0-70.13.1.el9_0.x86_64 root=/dev/mapper/almalinux-root ro');
  const first = chooseBoot({ grubCfg: cfg, grubEnv: env({}), blsFiles: files, lastCmdline: undefined, lastGoodCmdline: undefined, grubIgnored: false, badCmdline: false, retry: false });
  t.is(first.cmdline, 'BOOT_IMAGE=/vmlinuz-5.14.0-427.13.1.el9_4.x86_64 root=/dev/mapper/almalinux-root ro rhgb quiet', 'no saved_entry: the first (newest) entry');
});

test('lab: a one-shot next_entry naming a BLS trial entry is booted once and consumed', (t) => {
  const trial = { file: 'sriov-lxc-trial.conf', text: entry('5.14.0-427.13.1.el9_4.x86_64', 'root=/dev/mapper/almalinux-root ro intel_iommu=on panic=10').text.replace(/^title /m, 'title sriov-lxc trial: ') };
  const grubEnv = env({ saved_entry: `${mid}-5.14.0-427.13.1.el9_4.x86_64`, next_entry: 'sriov-lxc-trial' });
  const choice = chooseBoot({ grubCfg: cfg, grubEnv, blsFiles: [...files, trial], lastCmdline: undefined, lastGoodCmdline: undefined, grubIgnored: false, badCmdline: false, retry: false });
  t.regex(choice.entry, /^sriov-lxc trial: /);
  t.true(choice.cmdline.endsWith('intel_iommu=on panic=10'));
  t.regex(choice.grubEnv ?? '', /^next_entry=$/m);
});

test('lab: EL8 entries read $kernelopts from grubenv, else grub.cfg\'s fallback `set kernelopts` (the captured EL8 grub.cfg); $tuned_params unset leaves no gap', (t) => {
  const el8Cfg = readFileSync(new URL('../fixtures/real/grub-cfg/grub-cfg-el8-blscfg-issabel.cfg', import.meta.url), 'utf8');
  const el8 = entry('4.18.0-553.5.1.el8_10.x86_64', '$kernelopts $tuned_params');
  const boot = (vars: Record<string, string>): string => chooseBoot({ grubCfg: el8Cfg, grubEnv: env(vars), blsFiles: [el8], lastCmdline: undefined, lastGoodCmdline: undefined, grubIgnored: false, badCmdline: false, retry: false }).cmdline;
  t.is(boot({ kernelopts: 'root=/dev/mapper/almalinux-root ro crashkernel=auto intel_iommu=on ' }), 'BOOT_IMAGE=/vmlinuz-4.18.0-553.5.1.el8_10.x86_64 root=/dev/mapper/almalinux-root ro crashkernel=auto intel_iommu=on');
  // Read off the file: its `if [ -z "${kernelopts}" ]; then set kernelopts="…"; fi`.
  t.is(boot({}), 'BOOT_IMAGE=/vmlinuz-4.18.0-553.5.1.el8_10.x86_64 root=UUID=bf4ab502-9a6d-49ec-92be-59111a383230 ro resume=UUID=9c7383f6-7502-4245-b0b0-c52190b4c6e0 net.ifnames=0 rhgb quiet');
});

test('lab: the ESP stub of EL9 and of Ubuntu points at the grub.cfg in /boot', (t) => {
  t.is(efiStubConfigDir('search --no-floppy --fs-uuid --set=dev 2f64394d-a847-4c1a-bda9-e658edc017ad\nset prefix=($dev)/grub2\n\nexport $prefix\nconfigfile $prefix/grub.cfg\n'), 'boot/grub2');
  t.is(efiStubConfigDir("search.fs_uuid 2f64394d-a847-4c1a-bda9-e658edc017ad root hd0,gpt1 \nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n"), 'boot/grub');
  t.is(efiStubConfigDir('# nothing\n'), undefined);
});
