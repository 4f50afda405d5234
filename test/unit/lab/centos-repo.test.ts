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

function served(release: string, repo: string): boolean {
  return spawnSync('sh', ['-c', '. "$1"; centos_repo_served "$2" "$3"', 'sh', LIB, release, repo]).status === 0;
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
});
