// The plan from Ansible variables (--ansible-vars, the collection's path): the same plans as the
// inventory file gives, validated by the same loader, with problems that name the variable.
import test from 'ava';
import { ansibleVarName, inventoryFromAnsibleVars, loadAnsibleVars } from '../../../inventory/ansible-vars.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { parseProvisionArgs } from '../../../cli/provision-args.ts';

const PFS = [{ name: 'enp4s0f0', vfs: 4 }, { name: 'enp4s0f1', vfs: 2, macs: ['02:00:00:00:00:01', '02:00:00:00:00:02'] }];
const CONTAINERS = [{ name: 'c1', template: 'debian', vf: { pf: 'enp4s0f0', index: 0 }, address: '192.168.10.11/24' }];

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return `${(error as Error).message}\nhint: ${(error as { hint?: string }).hint}`;
  }
  throw new Error('no error');
}

test('Ansible variables give the plan the inventory file gives (connection vars, sriov_lxc_<field> in snake_case)', (t) => {
  const fromVars = inventoryFromAnsibleVars({
    node1: {
      ansible_host: '10.0.0.5',
      ansible_port: 2222,
      ansible_user: 'admin',
      ansible_ssh_private_key_file: '/keys/id_ed25519',
      sriov_lxc_known_hosts: '/keys/known_hosts',
      sriov_lxc_iommu: 'off',
      sriov_lxc_hugepages: { count: 1024, size: '2M' },
      sriov_lxc_kernel_params: { isolcpus: '2-7', nosmt: null },
      sriov_lxc_trial_boot: false,
      sriov_lxc_pfs: PFS,
      sriov_lxc_containers: CONTAINERS,
      sriov_lxc_controller_state_dir: '/var/lib/x',
      inventory_hostname: 'node1',
      some_other_var: { anything: true },
    },
  }, '/tmp/vars.json').hosts;
  const fromFile = parseInventory(JSON.stringify({
    hosts: {
      node1: {
        address: '10.0.0.5', port: 2222, user: 'admin', key: '/keys/id_ed25519', knownHosts: '/keys/known_hosts', iommu: 'off',
        hugepages: { count: 1024, size: '2M' }, kernelParams: { isolcpus: '2-7', nosmt: null }, trialBoot: false, pfs: PFS, containers: CONTAINERS,
      },
    },
  }), '/tmp/inventory.yaml').hosts;
  t.deepEqual(fromVars, fromFile);
});

test('ansible_host defaults to the host name, as in Ansible; user and port to the inventory defaults', (t) => {
  const [plan] = inventoryFromAnsibleVars({ 'rack1-n07.example.org': { sriov_lxc_pfs: PFS } }, '/tmp/vars.json').hosts;
  t.is(plan?.ssh.address, 'rack1-n07.example.org');
  t.is(plan?.ssh.user, 'root');
  t.is(plan?.ssh.port, 22);
});

test('problems name the Ansible variable and the path inside it', (t) => {
  const message = usageMessage(() => inventoryFromAnsibleVars({
    node1: {
      ansible_port: '22x',
      sriov_lxc_pfs: [{ name: 'eth0', vfs: 300 }],
      sriov_lxc_kernel_params: { 'a b': '1' },
      sriov_lxc_hugepages: { count: 16, mount: '/mnt/../etc' },
    },
  }, '/tmp/vars.json'));
  t.regex(message, /^invalid Ansible variables \(\/tmp\/vars\.json\):/);
  t.regex(message, /^ {2}ansible_port: "22x" /m);
  t.regex(message, /^ {2}sriov_lxc_pfs\[0\]\.vfs: 300 /m);
  t.regex(message, /^ {2}sriov_lxc_kernel_params\.a b: /m);
  t.regex(message, /^ {2}sriov_lxc_hugepages\.mount: /m);
  t.notRegex(message, /hosts\.node1/, 'no inventory path in the message');
});

test('a check after the schema (a container on a VF that is not there) names the variable too', (t) => {
  const message = usageMessage(() => inventoryFromAnsibleVars({
    node1: { sriov_lxc_pfs: PFS, sriov_lxc_containers: [{ ...CONTAINERS[0], vf: { pf: 'enp4s0f1', index: 5 } }] },
  }, '/tmp/vars.json'));
  t.regex(message, /^ {2}sriov_lxc_containers\[0\]\.vf\.index: 5 is out of range/m);
});

test('an unknown sriov_lxc_ variable is refused by name; the collection\'s settings are not plan fields', (t) => {
  const message = usageMessage(() => inventoryFromAnsibleVars({ node1: { sriov_lxc_pfz: [], sriov_lxc_controller_command: ['x'] } }, '/tmp/vars.json'));
  t.regex(message, /sriov_lxc_pfz \(host node1\): unknown variable/);
  t.notRegex(message, /sriov_lxc_controller_command \(/);
  t.regex(message, /hint: .*sriov_lxc_pfs/);
});

test('the same node under two host names is refused, naming both hosts', (t) => {
  const message = usageMessage(() => inventoryFromAnsibleVars({
    a: { ansible_host: '10.0.0.5', sriov_lxc_pfs: PFS },
    b: { ansible_host: '10.0.0.5', sriov_lxc_pfs: [{ name: 'eth9', vfs: 1 }] },
  }, '/tmp/vars.json'));
  t.regex(message, /host b: is the same node as host a/);
});

test('ansibleVarName maps inventory paths to variables', (t) => {
  t.is(ansibleVarName(['hosts', 'n1', 'containers', 2, 'limits', 'memory']), 'sriov_lxc_containers[2].limits.memory');
  t.is(ansibleVarName(['hosts', 'n1', 'key']), 'ansible_ssh_private_key_file');
  t.is(ansibleVarName(['hosts', 'n1', 'sshConfigHost']), 'sriov_lxc_ssh_config_host');
  t.is(ansibleVarName(['hosts', 'n1']), 'host n1');
});

test('--ansible-vars is refused with --inventory and with --local', (t) => {
  t.is(parseProvisionArgs(['--ansible-vars', 'v.json']).ansibleVars, 'v.json');
  t.throws(() => parseProvisionArgs(['--ansible-vars', 'v.json', '--inventory', 'i.yaml']), { message: /both name/ });
  t.throws(() => parseProvisionArgs(['--ansible-vars', 'v.json', '--local']), { message: /--local/ });
});

test('--ansible-vars - reads the variables from standard input (the collection: no file holds them); problems say so', (t) => {
  const vars = { node1: { ansible_host: '10.0.0.5', sriov_lxc_pfs: PFS, sriov_lxc_containers: CONTAINERS } };
  const fromStdin = loadAnsibleVars('-', {}, () => JSON.stringify(vars)).hosts;
  t.deepEqual(fromStdin, inventoryFromAnsibleVars(vars, 'x').hosts);
  t.is(fromStdin[0]?.ssh.address, '10.0.0.5');
  t.regex(usageMessage(() => loadAnsibleVars('-', {}, () => '{"node1": {"sriov_lxc_pfss": []}}')), /^invalid Ansible variables \(standard input\):\n {2}sriov_lxc_pfss \(host node1\): unknown variable/);
  t.regex(usageMessage(() => loadAnsibleVars('-', {}, () => '{"node1": ')), /^invalid JSON\/YAML in standard input:/);
  t.is(parseProvisionArgs(['--ansible-vars', '-']).ansibleVars, '-');
});
