import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseOsRelease, parseOsReleaseFields, distroFamily, grubCommands } from '../../../../node/parse/os-release.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real Debian 12 os-release (unquoted ID)', (t) => {
  const release = parseOsRelease(fixture('os-release-debian12.txt'));
  t.deepEqual(release, { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  t.is(distroFamily(release), 'debian');
  t.deepEqual(grubCommands(release, { efi: false }), {
    mkconfig: ['update-grub'],
    reboot: 'grub-reboot',
    editenv: 'grub-editenv',
    setDefault: 'grub-set-default',
    grubenvPath: '/boot/grub/grubenv',
    grubCfgPath: '/boot/grub/grub.cfg',
  });
  t.is(grubCommands(release, { efi: true }).grubCfgPath, '/boot/grub/grub.cfg');
});

test('CentOS 7 (blank lines, quoted values): BIOS and UEFI grub paths', (t) => {
  const release = parseOsRelease(fixture('os-release-centos7.txt'));
  t.deepEqual(release, { id: 'centos', idLike: ['rhel', 'fedora'], versionId: '7', prettyName: 'CentOS Linux 7 (Core)' });
  t.is(distroFamily(release), 'rhel');
  t.deepEqual(grubCommands(release, { efi: false }), {
    mkconfig: ['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg'],
    reboot: 'grub2-reboot',
    editenv: 'grub2-editenv',
    setDefault: 'grub2-set-default',
    grubenvPath: '/boot/grub2/grubenv',
    grubCfgPath: '/boot/grub2/grub.cfg',
  });
  t.like(grubCommands(release, { efi: true }), {
    mkconfig: ['grub2-mkconfig', '-o', '/boot/efi/EFI/centos/grub.cfg'],
    grubenvPath: '/boot/efi/EFI/centos/grubenv',
  });
  t.is(parseOsReleaseFields(fixture('os-release-centos7.txt')).REDHAT_SUPPORT_PRODUCT, 'centos');
});

test('Ubuntu and Rocky 9 resolve through ID_LIKE; EL9 keeps grub.cfg in /boot on UEFI', (t) => {
  const ubuntu = parseOsRelease(fixture('os-release-ubuntu2204.txt'));
  t.is(distroFamily(ubuntu), 'debian');
  const rocky = parseOsRelease(fixture('os-release-rocky9.txt'));
  t.deepEqual(rocky.idLike, ['rhel', 'centos', 'fedora']);
  t.is(distroFamily(rocky), 'rhel');
  t.is(grubCommands(rocky, { efi: true }).grubCfgPath, '/boot/grub2/grub.cfg');
  const rhel8 = parseOsRelease('ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="8.9"\n');
  t.is(grubCommands(rhel8, { efi: true }).grubCfgPath, '/boot/efi/EFI/redhat/grub.cfg');
});

test('unknown distributions and broken files give clear errors', (t) => {
  const alpine = parseOsRelease('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n');
  t.is(distroFamily(alpine), 'unknown');
  t.throws(() => grubCommands(alpine, { efi: false }), { message: /unsupported distribution "Alpine Linux v3.19"/ });
  t.is(parseOsRelease('').id, 'linux');
  t.throws(() => parseOsRelease('NAME="CentOS\n'), { message: /unterminated quote in os-release line 1/ });
  t.throws(() => parseOsRelease('this is not os-release\n'), { message: /unexpected os-release line 1/ });
  t.is(parseOsReleaseFields('X="a \\"b\\" \\$c"\n').X, 'a "b" $c');
});
