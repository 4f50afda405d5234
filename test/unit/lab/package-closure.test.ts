// The package list is complete for a fresh machine: every file a lab node, its LXC template and
// configs include or execute is on this machine and belongs (dpkg -S) to a package of
// lab/packages.ts, to one those depend on (apt installs dependencies even with
// --no-install-recommends, not recommends), or to the base system (Priority required/important).
// A file that only a hand-installed package provides fails here, on the developers' machine.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANSIBLE_JSON_CALLBACK, LAB_PACKAGES } from '../../../lab/packages.ts';

const NODE_SRC = fileURLToPath(new URL('../../../lab/node', import.meta.url));

// What GRUB's own scripts read when a node runs grub-mkconfig / update-grub (grub-common 2.06,
// util/grub-mkconfig.in: it sources grub-mkconfig_lib and runs every executable /etc/grub.d/*;
// grub-mkconfig_lib's prepare_grub_to_access_device reads the platform's modules).
const GRUB_FILES = ['/usr/sbin/grub-mkconfig', '/usr/share/grub/grub-mkconfig_lib', '/etc/grub.d', '/usr/lib/grub/i386-pc'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(c|ts)$/.test(e.name) ? [] : [path];
  });
}

/** Absolute paths of the host's files that the node-side scripts name, each with where it is named. */
function namedFiles(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (path: string, why: string): void => void (found.has(path) || found.set(path, why));
  for (const file of sourceFiles(NODE_SRC)) {
    // Comments name files too; only what the scripts do counts.
    const text = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
    const where = file.slice(NODE_SRC.length + 1);
    const distros = [...text.matchAll(/\bdistro=(\w+)/g)].map((m) => m[1]!);
    for (const m of text.matchAll(/lxc\.include = (\S+)/g)) {
      const target = m[1]!;
      for (const path of target.includes('$distro') ? distros.map((d) => target.replace('$distro', d)) : [target]) {
        add(path, `lxc.include in lab/node/${where}`);
      }
    }
    // Host programs a node runs through the host's /usr.
    for (const m of text.matchAll(/\$(?:LAB_HOSTUSR|\{LAB_HOSTUSR\})\/([\w./+-]+)/g)) add(`/usr/${m[1]!}`, `lab/node/${where}`);
    // Links into the host's files (outside the lab's own /usr/lib/sriov-lab), and the directories links are made in.
    for (const m of text.matchAll(/ln -sfn? (\/(?:usr|etc|lib)\/[\w./+-]+) /g)) {
      if (!m[1]!.startsWith('/usr/lib/sriov-lab/')) add(m[1]!, `link target in lab/node/${where}`);
    }
    for (const m of text.matchAll(/ln -sfn? \S+ "(\/(?:usr|etc|lib)\/[\w/.-]+)\/\$\w+"/g)) add(m[1]!, `links made in it by lab/node/${where}`);
    // Programs run by absolute path (a command at the start of a line, sshd's sftp subsystem), not
    // those the lab itself links into place.
    const ownLinks = new Set([...text.matchAll(/ln -sfn? \S+ "?(\/[\w/.-]+)"?/g)].map((m) => m[1]!));
    const loopNames = [...text.matchAll(/for t in ([^;]+);/g)].flatMap((m) => m[1]!.trim().split(/\s+/));
    for (const m of text.matchAll(/ln -sfn? \S+ "(\/[\w/.-]+)\/\$t"/g)) for (const n of loopNames) ownLinks.add(`${m[1]!}/${n}`);
    for (const m of text.matchAll(/^\s*(?:exec\s+|.*\s)?(\/usr\/(?:s?bin|lib\/openssh)\/[\w.-]+)(?=\s|$)/gm)) {
      if (!ownLinks.has(m[1]!) && !/^\s*ln /.test(m[0])) add(m[1]!, `run by lab/node/${where}`);
    }
  }
  for (const path of GRUB_FILES) add(path, "GRUB's scripts on every node");
  const path = process.env['PATH'] ?? '';
  for (const p of LAB_PACKAGES) {
    for (const tool of p.tools) {
      const hit = path.split(delimiter).map((d) => join(d, tool)).find((f) => existsSync(f));
      if (hit) add(hit, `tool ${tool} (lab/packages.ts: ${p.name})`);
    }
  }
  // Follow lxc.include into the configs themselves (a directory includes its *.conf).
  const queue = [...found].filter(([, why]) => why.startsWith('lxc.include')).map(([path]) => path);
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (!existsSync(path)) continue;
    const configs = statSync(path).isDirectory() ? readdirSync(path).filter((f) => f.endsWith('.conf')).map((f) => join(path, f)) : [path];
    for (const config of configs) {
      add(config, `lxc.include of ${path}`);
      for (const m of readFileSync(config, 'utf8').matchAll(/^lxc\.include\s*=\s*(\S+)/gm)) {
        if (!found.has(m[1]!)) queue.push(m[1]!);
        add(m[1]!, `lxc.include in ${config}`);
      }
    }
  }
  return found;
}

interface Installed {
  priority: string;
  depends: string[][];
  provides: string[];
}

const names = (field: string): string[][] =>
  field
    .split(',')
    .map((alt) => alt.split('|').map((n) => n.trim().replace(/\s*\(.*\)$/, '').replace(/:\w+$/, '')).filter(Boolean))
    .filter((alts) => alts.length > 0);

function installedPackages(): Map<string, Installed> {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Package}\t${db:Status-Abbrev}\t${Priority}\t${Pre-Depends}\t${Depends}\t${Provides}\n'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dpkg-query failed: ${r.stderr}`);
  const packages = new Map<string, Installed>();
  for (const line of r.stdout.split('\n')) {
    const [name, status, priority, pre, depends, provides] = line.split('\t');
    if (!name || !status?.startsWith('ii')) continue;
    packages.set(name, { priority: priority ?? '', depends: [...names(pre ?? ''), ...names(depends ?? '')], provides: names(provides ?? '').flat() });
  }
  return packages;
}

/** The packages apt installs for the list: the list and, recursively, their (pre-)dependencies as installed here. */
function dependencyClosure(roots: readonly string[], installed: Map<string, Installed>): Set<string> {
  const providers = new Map<string, string[]>();
  for (const [name, p] of installed) for (const v of p.provides) providers.set(v, [...(providers.get(v) ?? []), name]);
  const closure = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const real of installed.has(name) ? [name] : (providers.get(name) ?? [])) {
      if (closure.has(real)) continue;
      closure.add(real);
      for (const alts of installed.get(real)?.depends ?? []) queue.push(...alts);
    }
  }
  return closure;
}

/** The usrmerge twin of a path (/usr/lib/x <-> /lib/x): Debian 12's packages still ship some files under /lib, /bin, /sbin. */
function twin(path: string): string | undefined {
  const m = /^(\/usr)?\/(bin|sbin|lib|lib64)(\/.*)$/.exec(path);
  if (!m) return undefined;
  return m[1] ? `/${m[2]}${m[3]}` : `/usr/${m[2]}${m[3]}`;
}

function owners(path: string): string[] {
  const candidates = [path, twin(path), realpathSync(path), twin(realpathSync(path))].filter((p): p is string => p !== undefined);
  for (const candidate of candidates) {
    const r = spawnSync('dpkg-query', ['-S', candidate], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const line = r.stdout.split('\n').find((l) => l.endsWith(`: ${candidate}`));
    if (line) return line.slice(0, line.lastIndexOf(': ')).split(', ').map((n) => n.replace(/:\w+$/, ''));
  }
  return [];
}

test('every file a lab node includes or executes belongs to lab/packages.ts, their dependencies, or the base system', (t) => {
  const installed = installedPackages();
  const listed = LAB_PACKAGES.map((p) => p.name);
  const closure = dependencyClosure(listed, installed);
  const base = (name: string): boolean => ['required', 'important'].includes(installed.get(name)?.priority ?? '');
  const named = namedFiles();
  t.log([...named].map(([path, why]) => `${path}  ${why}`).join('\n'));
  // The extraction itself must see what the lab uses, or this test proves nothing.
  t.true(named.has('/usr/share/lxc/config/debian.common.conf'), 'the LXC template includes are found');
  t.true(named.has('/usr/share/lxc/templates'), 'the templates directory is found');
  t.true(named.has('/usr/bin/grub-editenv'), "the host's GRUB tools are found");
  const problems: string[] = [];
  for (const [path, why] of named) {
    if (!existsSync(path)) {
      problems.push(`${path} (${why}) is not on this machine: find its package (apt-file search ${path}, or packages.debian.org) and add it to lab/packages.ts`);
      continue;
    }
    const by = owners(path);
    if (by.length === 0) {
      problems.push(`${path} (${why}) belongs to no Debian package here: the lab must not depend on what a person put there by hand`);
    } else if (!by.some((p) => closure.has(p) || base(p))) {
      problems.push(`${path} (${why}) comes from ${by.join(', ')}, which lab/packages.ts neither lists nor pulls in as a dependency: add it there`);
    }
  }
  t.deepEqual(problems, []);
});

// A fresh Debian 12 with the listed ansible-core and ansible-lint failed every Ansible test with
// "Invalid callback for stdout specified: json": the callback is ansible.posix's.
test('the json stdout callback the Ansible tests and the bench parse belongs to a listed package, not to ansible-core', (t) => {
  const helper = readFileSync(fileURLToPath(new URL('../../helpers/ansible-lab.ts', import.meta.url)), 'utf8');
  t.regex(helper, /ANSIBLE_STDOUT_CALLBACK: 'json'/, 'the tests still use the json callback');
  const listing = LAB_PACKAGES.find((p) => p.files?.includes(ANSIBLE_JSON_CALLBACK));
  t.is(listing?.name, 'ansible');
  if (!existsSync(ANSIBLE_JSON_CALLBACK)) {
    t.fail(`${ANSIBLE_JSON_CALLBACK} is not on this machine: npm test's pretest installs the listed packages (npx zx lab/lab.ts setup --tests)`);
    return;
  }
  t.deepEqual(owners(ANSIBLE_JSON_CALLBACK), ['ansible']);
});
