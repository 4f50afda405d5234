import test from 'ava';
import { templateFailureHint } from '../../../../node/lxc/template-hint.ts';

test('the hint of a failed template follows what it printed', (t) => {
  t.regex(templateFailureHint('busybox', [], 'busybox: not found\n'), /^the busybox template failed: see its output above/);
  t.regex(templateFailureHint('centos', ['--release', '7'], 'Failed to download the rootfs, aborting.\n'), /mirrorlist\.centos\.org.*--repo, https:\/\/vault\.centos\.org\/7\.9\.2009\/os\/x86_64\//);
  t.is(
    templateFailureHint('centos', ['--release', '7', '--repo', 'http://mirror.example/centos/7/os/x86_64/'], 'Failed to download the rootfs, aborting.\n'),
    'the centos template could not download its rootfs: check that the node reaches its mirror (template arguments: --release 7 --repo http://mirror.example/centos/7/os/x86_64/) and any proxy it needs',
  );
  // The vault hint whichever way the release is spelt, and none once --repo is given (in any form).
  for (const args of [['--release=7'], ['-R', '7'], []]) t.regex(templateFailureHint('centos', args, 'Failed to download the rootfs, aborting.\n'), /give it the CentOS vault/, args.join(' '));
  t.notRegex(templateFailureHint('centos', ['--release', '7', '--repo=http://mirror.example/c7/'], 'Failed to download the rootfs, aborting.\n'), /vault/);
  // Another release: no vault of 7, a repository of that release (AlmaLinux 9's named for 9).
  t.is(
    templateFailureHint('centos', ['--release', '9'], 'Failed to download the rootfs, aborting.\n'),
    'the centos template could not download its packages: without --repo it asks mirrorlist.centos.org, switched off since CentOS 7\'s end of life (2024); give it --repo with a repository of release 9 that the node reaches, e.g. AlmaLinux 9\'s: templateArgs: [--release, "9", --repo, https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/], or use lxc-create -t download',
  );
  t.regex(templateFailureHint('centos', ['--release', '8'], 'Failed to download the rootfs, aborting.\n'), /a repository of release 8 that the node reaches, or use/);
  t.regex(templateFailureHint('download', ['-d', 'debian', '-r', 'bookworm', '-a', 'amd64'], 'ERROR: Failed to download http://images.linuxcontainers.org/meta/1.0/index-system\n'), /could not download its rootfs: check that the node reaches its mirror/);
});
