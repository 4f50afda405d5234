// The lab's LXC template reads its options as the real templates do (lab/node/lib/template-options.sh):
// util-linux getopt with each real template's option string, its usage and exit codes. Expected
// values are read off the real templates: LXC tag lxc-1.0.11 templates/lxc-centos.in (EPEL 7's)
// by hand, and lxc-templates 3.0.4 as installed on this machine (a lab package): its getopt lines
// and usage() functions are taken from the installed files and run here. The library is pure
// (getopt and printing only), run here as is.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LIB = fileURLToPath(new URL('../../../lab/node/lib/template-options.sh', import.meta.url));
const INSTALLED = '/usr/share/lxc/templates';

function read(template: string, lxc: string, ...args: string[]) {
  const r = spawnSync('sh', ['-c', '. "$1"; shift; template_read_options "$@"; printf "%s|" "$name" "$path" "$rootfs" "$release" "$repo" "$fqdn"', 'sh', LIB, template, lxc, `/usr/share/lxc/templates/${template}`, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LXC_CREATE = ['--path', '/var/lib/lxc/c1', '--name', 'c1', '--rootfs', '/var/lib/lxc/c1/rootfs'];

test('lxc-centos of LXC 1.0.11 has no --mirror: getopt complains, the usage follows, exit 1', (t) => {
  const r = read('lxc-centos', '1.0.11', ...LXC_CREATE, '--release', '7', '--mirror', 'http://mirror.example/centos/');
  t.is(r.code, 1);
  t.is(r.stderr, "getopt: unrecognized option '--mirror'\n");
  // `usage $(basename $0)`: the bare name; 1.0.11's --path line.
  t.true(r.stdout.startsWith('usage:\n    lxc-centos -n|--name=<container_name>\n'), r.stdout);
  t.regex(r.stdout, /^ {2}-p,--path {9}path to where the container rootfs will be created, defaults to \/var\/lib\/lxc\/name\.$/m);
  t.true(r.stdout.endsWith('  -h,--help         print this help\n'), `nothing after the usage: ${r.stdout}`);
});

test('lxc-centos takes what its getopt line names, in every spelling getopt takes', (t) => {
  const r = read('lxc-centos', '1.0.11', ...LXC_CREATE, '-R', '7', '--repo=https://vault.centos.org/7.9.2009/os/$basearch/', '--fqdn', "a.b `id` $(x) 'q'", '-a', 'x86_64', '-c', '--', 'ignored');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, "c1|/var/lib/lxc/c1|/var/lib/lxc/c1/rootfs|7|https://vault.centos.org/7.9.2009/os/$basearch/|a.b `id` $(x) 'q'|");
  // getopt takes an unambiguous abbreviation and the attached form; an option's value may look like an option.
  t.is(read('lxc-centos', '1.0.11', '--nam=c1', '--pa', '/p', '--rel=7', '--fqdn', '--repo').stdout, 'c1|/p||7||--repo|');
  t.is(read('lxc-centos', '1.0.11', '--repo', '-n', '--name', 'c1', '--arch', '--path', '-p', '/p').stdout, 'c1|/p|||-n||');
  const ambiguous = read('lxc-centos', '1.0.11', ...LXC_CREATE, '--re', '7');
  t.is(ambiguous.code, 1);
  t.is(ambiguous.stderr, "getopt: option '--re' is ambiguous; possibilities: '--release' '--repo'\n");
  // -r is lxc-debian's release flag, not lxc-centos's.
  const lower = read('lxc-centos', '1.0.11', ...LXC_CREATE, '-r', '7');
  t.is(lower.code, 1);
  t.is(lower.stderr, "getopt: invalid option -- 'r'\n");
  // lxc-create passes --mapped-uid only for an unprivileged container: lxc-centos does not know it.
  t.is(read('lxc-centos', '5.0.2', ...LXC_CREATE, '--mapped-uid', '100000').code, 1);
});

test('-h prints the usage with the path it was run by; lxc-centos and lxc-ubuntu exit 0, lxc-debian 1', (t) => {
  const centos = read('lxc-centos', '5.0.2', '-h');
  t.is(centos.code, 0);
  t.true(centos.stdout.startsWith('usage:\n    /usr/share/lxc/templates/lxc-centos -n|--name=<container_name>\n'), centos.stdout);
  t.is(read('lxc-debian', '5.0.2', '--help').code, 1);
  t.is(read('lxc-debian', '1.0.11', '-h').code, 1);
  t.is(read('lxc-ubuntu', '5.0.2', '-h').code, 0);
});

test('each release has its own option string: 1.0.11 lxc-debian lacks --keyring, lxc-ubuntu -v', (t) => {
  t.is(read('lxc-debian', '5.0.2', ...LXC_CREATE, '-r', 'bookworm', '--mirror', 'http://m/', '--keyring', '/k').stdout, 'c1|/var/lib/lxc/c1|/var/lib/lxc/c1/rootfs|bookworm|||');
  const old = read('lxc-debian', '1.0.11', ...LXC_CREATE, '--keyring', '/k');
  t.is(old.code, 1);
  t.is(old.stderr, "getopt: unrecognized option '--keyring'\n");
  t.regex(old.stdout, /^ {25}Defaults to 'http:\/\/security\.debian\.org\/'$/m, "1.0.11's security mirror");
  t.is(read('lxc-ubuntu', '5.0.2', ...LXC_CREATE, '-v', 'minbase', '-r', 'noble').code, 0);
  const ubuntu1 = read('lxc-ubuntu', '1.0.11', ...LXC_CREATE, '-v', 'minbase');
  t.is(ubuntu1.code, 1);
  t.is(ubuntu1.stderr, "getopt: invalid option -- 'v'\n");
  t.notRegex(ubuntu1.stdout, /variant/);
  t.is(read('lxc-busybox', '5.0.2', ...LXC_CREATE).code, 1, 'only the three templates the lab links');
});

// lxc-templates 3.0.4 (Debian 12's, installed here): the getopt line and usage() of each template.
for (const template of ['lxc-centos', 'lxc-debian', 'lxc-ubuntu']) {
  test(`${template} under LXC 5.0.2 has the installed lxc-templates' getopt line and usage`, (t) => {
    const real = readFileSync(`${INSTALLED}/${template}`, 'utf8');
    const line = /^options=\$\(getopt -o (\S+) -l (\S+) -- "\$@"\)$/m.exec(real);
    t.truthy(line, 'the getopt line');
    const spec = spawnSync('sh', ['-c', '. "$1"; template_option_spec "$2" 5.0.2; printf "%s %s" "$short" "$long"', 'sh', LIB, template], { encoding: 'utf8' });
    t.is(spec.stdout, `${line![1]} ${line![2]}`);
    // The real usage(), cut out of the installed template, run by bash with the variables it prints.
    const usage = /^usage\(\)\n\{\n[\s\S]*?\n\}\n/m.exec(real)![0];
    const vars = 'MIRROR=http://deb.debian.org/debian SECURITY_MIRROR=http://security.debian.org/debian-security DEBIAN_ARCHIVE_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg';
    const expected = spawnSync('bash', ['-c', `${vars}\n${usage}\nusage "$1"`, 'bash', template], { encoding: 'utf8' }).stdout;
    t.true(expected.length > 200, expected);
    const ours = spawnSync('sh', ['-c', '. "$1"; template_usage "$2" 5.0.2 "$2"', 'sh', LIB, template], { encoding: 'utf8' }).stdout;
    t.is(ours, expected);
  });
}
