// The Ansible side of `npm run bench`: the json callback parser on captured output, and the
// inventory the no-op playbook checks against, rendered from a lab inventory.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ansibleConfig, ansibleInventory } from '../../../bench/ansible-inventory.ts';
import { parseJsonCallback } from '../../../bench/ansible.ts';
import { MAC_SCRIPT_PATH, macScript } from '../../../node/vfs/mac-boot-files.ts';
import { modulesLoadText } from '../../../node/files/modules-hugepages-files.ts';
import { parseInventory } from '../../../inventory/load.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/bench-ansible/${name}`, import.meta.url), 'utf8');

test('the json callback of the no-op playbook: 36 tasks in order, module runs per host without the asserts', (t) => {
  const { tasks, stats, remoteRuns } = parseJsonCallback(fixture('noop-converge-json-callback.json'));
  t.is(tasks.length, 36);
  t.is(tasks[0]!.name, 'Read /proc/cpuinfo, /proc/cmdline and /etc/os-release');
  t.is(tasks[0]!.start, Date.parse('2026-11-24T21:16:14.341209Z'));
  t.true(tasks.every((x, i) => x.end >= x.start && (i === 0 || x.start >= tasks[i - 1]!.start)));
  t.deepEqual(stats, { node1: { changed: 0, failures: 0, ignored: 0, ok: 36, rescued: 0, skipped: 0, unreachable: 0 } });
  // 36 tasks, 7 of them asserts (controller only); loops over 3 files, 2x2 PF links, 2x2 counts,
  // 2 PFs, 2 drivers, 3 config files, 3 GRUB files, 2 versions, 2 PFs, 2 commands, 2 configs,
  // 2 states, 2x3 commands in the containers, 2 pings, 2 MAC files.
  t.deepEqual(remoteRuns, { node1: 56 });
});

test('the json callback of the reboot playbook: the reboot task with its start and end', (t) => {
  const { tasks, remoteRuns } = parseJsonCallback(fixture('reboot-json-callback.json'));
  t.deepEqual(tasks, [{ name: 'Reboot the node and wait until it is back', start: Date.parse('2026-11-24T21:17:02.025398Z'), end: Date.parse('2026-11-24T21:17:10.406254Z') }]);
  t.deepEqual(remoteRuns, { node1: 1 });
});

test('a callback document after warnings on stdout is still found', (t) => {
  const text = `[WARNING]: something\n${fixture('reboot-json-callback.json')}`;
  t.is(parseJsonCallback(text).tasks.length, 1);
});

const LAB_HOST = `
defaults: { user: root, key: /tmp/lab/ssh/id_ed25519, knownHosts: /tmp/lab/ssh/known_hosts }
hosts:
  node1:
    address: 10.213.7.11
    distro: centos7
    iommu: pt
    hugepages: { count: 16, size: 2M, mount: /mnt/huge }
    driver: { source: tarball, pf: /tmp/lab/drivers/ixgbe-5.19.6.tar.gz, vf: /tmp/lab/drivers/ixgbevf-4.18.9.tar.gz }
    pfs:
      - { name: enp4s0f0, vfs: 4, vfCreation: max_vfs, macs: auto }
      - { name: enp4s0f1, vfs: 4, vfCreation: max_vfs, macs: auto }
    containers:
      - { name: c1, template: centos, templateArgs: [--release, '7'], templatePatches: [centos7-slow-boot], vf: { pf: enp4s0f0, index: 0 }, address: 10.213.7.101/24 }
      - { name: c2, template: centos, templateArgs: [--release, '7'], templatePatches: [centos7-slow-boot], vf: { pf: enp4s0f1, index: 0 }, address: 10.213.7.102/24 }
    benchmark: { profile: quick, peer: 10.213.7.2 }
`;

test('the Ansible inventory carries what the stages check: params, MACs, file contents, containers', (t) => {
  const [plan] = parseInventory(LAB_HOST, '/tmp/lab/inventory.yaml').hosts;
  const unsafe = { tag: '!unsafe', resolve: (text: string) => text };
  const doc = parse(ansibleInventory([plan!], { pf: '5.19.6', vf: '4.18.9' }), { customTags: [unsafe] }) as { all: { hosts: Record<string, Record<string, unknown>> } };
  const vars = doc.all.hosts.node1!;
  t.is(vars.ansible_host, '10.213.7.11');
  t.is(vars.ansible_ssh_private_key_file, '/tmp/lab/ssh/id_ed25519');
  t.deepEqual(vars.sriov_kernel_params, plan!.kernelParams);
  t.deepEqual(vars.sriov_distro, { id: 'centos', version_id: '7' });
  t.is(vars.sriov_grub_dir, '/boot/grub2');
  const pfs = vars.sriov_pfs as { name: string; vfs: number; macs: string[] }[];
  t.deepEqual(pfs.map((p) => [p.name, p.vfs, p.macs]), plan!.pfs.map((p) => [p.name, 4, p.macs]));
  t.deepEqual(vars.sriov_containers, [
    { name: 'c1', mac: plan!.pfs[0]!.macs[0], address: '10.213.7.101/24' },
    { name: 'c2', mac: plan!.pfs[1]!.macs[0], address: '10.213.7.102/24' },
  ]);
  const files = vars.sriov_config_files as { path: string; content: string }[];
  t.is(files.find((f) => f.path === '/etc/modules-load.d/sriov-lxc.conf')?.content, modulesLoadText(plan!));
  const mac = (vars.sriov_mac_files as { path: string; content: string; mode: string }[]).find((f) => f.path === MAC_SCRIPT_PATH);
  t.deepEqual(mac, { path: MAC_SCRIPT_PATH, content: macScript('node1', plan!.pfs), mode: '0755' });
  t.deepEqual(vars.sriov_template_patches, [{ file: '/usr/share/lxc/config/centos.common.conf', find: 'lxc.cap.drop = mac_admin mac_override setfcap setpcap', replace: 'lxc.cap.drop = mac_admin mac_override' }]);
});

test('a host with distro: auto cannot be checked by the playbook: the error says what to set', (t) => {
  const [plan] = parseInventory(LAB_HOST.replace('distro: centos7', 'distro: auto'), '/tmp/lab/inventory.yaml').hosts;
  t.throws(() => ansibleInventory([plan!], { pf: '5.19.6', vf: '4.18.9' }), { message: /node1: distro: auto; the benchmark's playbook needs the planned distro in the inventory/ });
});

test('ansible.cfg: forks, pipelining, strict host keys against the given known_hosts, the control path dir', (t) => {
  const cfg = ansibleConfig({ forks: 8, knownHosts: '/lab/known_hosts', controlPathDir: '/w/cp', localTemp: '/w/tmp' });
  t.regex(cfg, /^forks = 8$/m);
  t.regex(cfg, /^pipelining = True$/m);
  t.regex(cfg, /^control_path_dir = \/w\/cp$/m);
  t.regex(cfg, /-o UserKnownHostsFile=\/lab\/known_hosts -o StrictHostKeyChecking=yes/);
  t.regex(cfg, /^interpreter_python = \/usr\/bin\/python3$/m);
});
