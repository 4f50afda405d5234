// The lab's lxc-centos serves only the repos that still answer in 2026 (lab/node/lib/centos-repo.sh):
// every inventory the lab or the README hands the centos template (the lab's centos7 and alma9
// inventories, inventory.example.yaml) names one of them, and the template's old default (no
// --repo) and a mirror elsewhere do not. The shell function is the lab's own, run here as is.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { labLayout, nodeLayout } from '../../../lab/layout.ts';
import { renderInventory } from '../../../lab/inventory.ts';
import type { Flavour } from '../../../lab/layout.ts';

const LIB = fileURLToPath(new URL('../../../lab/node/lib/centos-repo.sh', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../inventory.example.yaml', import.meta.url));

function served(release: string, repo: string, flavour = 'alma9'): boolean {
  return spawnSync('sh', ['-c', '. "$1"; centos_repo_served "$2" "$3"', 'sh', LIB, release, repo], { env: { ...process.env, LAB_FLAVOUR: flavour } }).status === 0;
}

/** The URLs the node's yum (centos7) or dnf (alma9) tries for the template's `baseurl="REPO"`. */
function baseurls(flavour: string, release: string, repo: string): string[] {
  const r = spawnSync('sh', ['-c', '. "$1"; centos_baseurls "$2" "$3"', 'sh', LIB, release, repo], { encoding: 'utf8', env: { ...process.env, LAB_FLAVOUR: flavour } });
  return r.stdout.split('\n').filter((l) => l !== '');
}

function valueOf(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

interface Containers { hosts: Record<string, { containers: { template: string; templateArgs?: string[] }[] }> }

function labInventory(flavour: Flavour): Containers {
  const lab = labLayout(1);
  const text = renderInventory({ lab, flavour, nodes: [nodeLayout(lab, 1, '/nonexistent')], key: '/k', knownHosts: '/kh', drivers: { pf: '/pf.tar.gz', vf: '/vf.tar.gz' } });
  return parse(text) as Containers;
}

test('the lab serves the vault to release 7 and AlmaLinux 9 BaseOS to release 9, nothing else', (t) => {
  t.true(served('7', 'https://vault.centos.org/7.9.2009/os/x86_64/'));
  t.true(served('7', 'http://vault.centos.org/7.9.2009/os/x86_64'));
  t.true(served('7', 'https://vault.centos.org/centos/7/os/x86_64/'));
  t.true(served('9', 'https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/'));
  t.false(served('7', ''), 'no --repo: mirrorlist.centos.org');
  t.false(served('9', ''));
  t.false(served('7', 'http://mirror.example.org/centos/7/os/x86_64/'));
  t.false(served('7', 'https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/'), "another release's tree");
  t.false(served('9', 'https://vault.centos.org/7.9.2009/os/x86_64/'));
  t.false(served('7', 'https://vault.centos.org/7.9.2009/updates/x86_64/'), 'not the os tree');
  t.false(served('7', 'https://vault.centos.org/7.9.2010/os/x86_64/'), 'no such CentOS 7 release');
  t.true(served('7', 'https://vault.centos.org/7.0.1406/os/x86_64/'));
});

// yum 3.4.3 (yum/config.py UrlListOption.parse: commas to spaces, shlex.split, spaces to %20;
// UrlOption.parse's schemes; parser.py varReplace; yumRepo.py adds the trailing /).
test("yum 3.4.3 reads the template's quoted baseurl with shlex: the quotes go, --repo is one URL, $vars replaced", (t) => {
  const vault = 'https://vault.centos.org/7.9.2009/os/x86_64/';
  t.deepEqual(baseurls('centos7', '7', vault), [vault]);
  t.true(served('7', vault, 'centos7'), 'the quotes the template writes around it are no obstacle');
  t.deepEqual(baseurls('centos7', '7', 'https://vault.centos.org/7.9.2009/os/$BaseArch/'), [vault], 'names case-insensitive');
  t.deepEqual(baseurls('centos7', '7', 'http://vault.centos.org/$releasever.9.2009/os/$basearchx/'), ['http://vault.centos.org/7.9.2009/os/$basearchx/'], 'an unknown name left');
  // A space or a comma inside the quotes stays in the one URL, as %20: no second mirror.
  t.deepEqual(baseurls('centos7', '7', `http://m.example/c7/ ${vault}`), [`http://m.example/c7/%20${vault}`]);
  t.deepEqual(baseurls('centos7', '7', `http://m.example/c7/,${vault}`), [`http://m.example/c7/%20${vault}`]);
  t.false(served('7', `http://m.example/c7/,${vault}`, 'centos7'));
  // Quotes inside --repo end the template's quotes: shlex reads words of its own.
  t.deepEqual(baseurls('centos7', '7', `http://m.example/c7/" "${vault}`), ['http://m.example/c7/', vault]);
  t.true(served('7', `http://m.example/c7/" "${vault}`, 'centos7'), 'the second mirror answers');
  t.deepEqual(baseurls('centos7', '7', `${vault}"`), ['error: No closing quotation']);
  t.deepEqual(baseurls('centos7', '7', 'vault.centos.org/7.9.2009/os/x86_64/'), ['error: URL must be http, ftp, file or https not ""']);
  t.deepEqual(baseurls('centos7', '7', 'localhost:8080'), ['error: URL must be http, ftp, file or https not ""'], 'a port number is no scheme');
  t.deepEqual(baseurls('centos7', '7', 'rsync://vault.centos.org/'), ['error: URL must be http, ftp, file or https not "rsync"']);
  t.deepEqual(baseurls('centos7', '7', '_None_'), ['error: "_none_" is not a valid value']);
});

// dnf 4 (libdnf 0.63/0.69 IniParser::trimValue, OptionStringList::fromString, ConfigParser::substitute).
test('dnf takes off one pair of quotes around the whole value and splits the rest into mirrors', (t) => {
  const baseos = 'https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/';
  t.deepEqual(baseurls('alma9', '9', baseos), [baseos]);
  t.deepEqual(baseurls('alma9', '9', 'https://repo.almalinux.org/almalinux/${releasever}/BaseOS/$basearch/os/'), [baseos]);
  t.deepEqual(baseurls('alma9', '9', `http://m.example/9/, ${baseos}`), ['http://m.example/9/', baseos]);
  t.true(served('9', `http://m.example/9/ ${baseos}`, 'alma9'), 'the second mirror answers');
  t.deepEqual(baseurls('alma9', '9', `"${baseos}"`), [`"${baseos}"`], 'quotes of its own stay: one pair only goes');
  t.false(served('9', `"${baseos}"`, 'alma9'));
  t.deepEqual(baseurls('alma9', '9', '/srv/repo'), ['file:///srv/repo']);
});

test("every centos container of the lab's inventories and of inventory.example.yaml has a --repo the lab serves", (t) => {
  const docs: [string, Containers][] = [
    ['lab centos7', labInventory('centos7')],
    ['lab alma9', labInventory('alma9')],
    ['inventory.example.yaml', parse(readFileSync(EXAMPLE, 'utf8')) as Containers],
  ];
  for (const [what, doc] of docs) {
    const centos = Object.values(doc.hosts).flatMap((h) => h.containers).filter((c) => c.template === 'centos');
    t.true(centos.length > 0, `${what} has centos containers`);
    for (const c of centos) {
      const args = c.templateArgs ?? [];
      const release = valueOf(args, '--release') ?? '';
      const repo = valueOf(args, '--repo') ?? '';
      t.true(served(release, repo), `${what}: --release ${release} --repo ${repo}`);
    }
  }
});

test('without a served repo the template prints what the real one prints last and exits 1', (t) => {
  const run = (flavour: string, release: string, repo: string) =>
    spawnSync('sh', ['-c', '. "$1"; centos_download_fails "$2" "$3"', 'sh', LIB, release, repo], { encoding: 'utf8', env: { ...process.env, LAB_FLAVOUR: flavour } });
  for (const [flavour, release] of [['centos7', '7'], ['alma9', '9']] as const) {
    const r = run(flavour, release, '');
    t.is(r.status, 1);
    t.true(r.stdout.endsWith("Failed to download the rootfs, aborting.\nFailed to download 'CentOS base'\nfailed to install CentOS\n"), r.stdout);
    t.regex(r.stderr, new RegExp(`mirrorlist\\.centos\\.org/\\?release=${release}&arch=x86_64&repo=os`));
  }
  t.regex(run('alma9', '9', '').stderr, /^Error: Failed to download metadata for repo 'base': Cannot prepare internal mirrorlist: Curl error \(6\)/m);
  t.regex(run('alma9', '9', 'http://m.example/9/').stderr, /^Error: Failed to download metadata for repo 'base': Cannot download repomd\.xml: Curl error \(6\): Couldn't resolve host name for http:\/\/m\.example\/9\/repodata\/repomd\.xml \[Could not resolve host: m\.example\]$/m);
  t.notRegex(execFileSync('sh', ['-n', LIB], { encoding: 'utf8' }), /./, 'the file parses');
  // The URL yum tried, its variables replaced, names the host it could not resolve.
  t.regex(run('centos7', '7', 'http://m.example/c7/$basearch').stderr, /^http:\/\/m\.example\/c7\/x86_64\/repodata\/repomd\.xml: \[Errno 14\] curl#6 - "Could not resolve host: m\.example; Unknown error"$/m);
});

test("a baseurl yum 3.4.3 cannot read: its config warning (the value as Python's repr), no enabled repo, the template's tail", (t) => {
  const r = spawnSync('sh', ['-c', '. "$1"; centos_download_fails 7 "$2"', 'sh', LIB, `http://it's\\ "x`], { encoding: 'utf8', env: { ...process.env, LAB_FLAVOUR: 'centos7' } });
  t.is(r.status, 1);
  t.true(r.stderr.startsWith([
    `Repository 'base': Error parsing config: Error parsing "baseurl = '"http://it\\'s\\\\ "x"'": No closing quotation`,
    'There are no enabled repos.',
    ' Run "yum repolist all" to see the repos you have.',
    ' To enable Red Hat Subscription Management repositories:',
    '     subscription-manager repos --enable <repo>',
    ' To enable custom repositories:',
    '     yum-config-manager --enable <repo>',
    "mv: cannot stat '/var/cache/lxc/centos/x86_64/7/partial/var/run/*': No such file or directory",
  ].join('\n')), r.stderr);
  t.notRegex(r.stderr, /One of the configured repositories failed|Errno/, 'yum tried no URL');
  t.true(r.stdout.endsWith("Loaded plugins: fastestmirror\nReinstalling packages ...\nFailed to download the rootfs, aborting.\nFailed to download 'CentOS base'\nfailed to install CentOS\n"), r.stdout);
});
