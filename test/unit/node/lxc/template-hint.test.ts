import test from 'ava';
import { templateFailureHint } from '../../../../node/lxc/template-hint.ts';

test('the hint of a failed template follows what it printed', (t) => {
  t.regex(templateFailureHint('busybox', [], 'busybox: not found\n'), /^the busybox template failed: see its output above/);
  t.regex(templateFailureHint('centos', ['--release', '7'], 'Failed to download the rootfs, aborting.\n'), /mirrorlist\.centos\.org.*--repo, https:\/\/vault\.centos\.org\/7\.9\.2009\/os\/x86_64\//);
  t.is(
    templateFailureHint('centos', ['--release', '7', '--repo', 'http://mirror.example/centos/7/os/x86_64/'], 'Failed to download the rootfs, aborting.\n'),
    'the centos template could not download its rootfs: check that the node reaches its mirror (template arguments: --release 7 --repo http://mirror.example/centos/7/os/x86_64/) and any proxy it needs',
  );
  t.regex(templateFailureHint('download', ['-d', 'debian', '-r', 'bookworm', '-a', 'amd64'], 'ERROR: Failed to download http://images.linuxcontainers.org/meta/1.0/index-system\n'), /could not download its rootfs: check that the node reaches its mirror/);
});
