// The Ansible side of the benchmark: an inventory whose host variables are what the no-op playbook
// (bench/ansible/noop-converge.yml) checks each node against, and the ansible.cfg it runs with.
// The expected values come from the same inventory plan and the same pure renderers that
// sriov-lxc's stages check against, so both tools look for the same state. Pure.
import { Scalar, stringify } from 'yaml';
import { modprobeOptionsText, modulesLoadText, MODPROBE_OPTIONS, MODULES_LOAD, SYSCTL_HUGEPAGES, fstabLine, sysctlText } from '../node/files/modules-hugepages-files.ts';
import { MAC_SCRIPT_PATH, MAC_UNIT_PATH, macScript, macUnit } from '../node/vfs/mac-boot-files.ts';
import { uniquePatches } from '../node/lxc/template-patch.ts';
import type { HostPlan } from '../inventory/plan.ts';

/** Installed version of each driver module, from its tarball's name (what driver-build compares). */
export interface DriverVersions {
  pf: string;
  vf: string;
}

const DISTROS = {
  centos7: { id: 'centos', version_id: '7', grubDir: '/boot/grub2' },
  debian12: { id: 'debian', version_id: '12', grubDir: '/boot/grub' },
  alma8: { id: 'almalinux', version_id: '8', grubDir: '/boot/grub2' },
  alma9: { id: 'almalinux', version_id: '9', grubDir: '/boot/grub2' },
  ubuntu2404: { id: 'ubuntu', version_id: '24.04', grubDir: '/boot/grub' },
} as const;

const PAGE_KB = { '2M': 2048, '1G': 1_048_576 } as const;

/** File contents go in as `!unsafe`: Ansible must not template a `{{` or `{#` of a shell script. */
function unsafe(text: string): Scalar {
  const node = new Scalar(text);
  node.tag = '!unsafe';
  return node;
}

function hostVars(plan: HostPlan, drivers: DriverVersions): Record<string, unknown> {
  if (plan.distro === 'auto') {
    throw new Error(`host ${plan.name}: distro: auto; the benchmark's playbook needs the planned distro in the inventory`);
  }
  if (!plan.hugepages) throw new Error(`host ${plan.name}: no hugepages in the inventory; the benchmark's playbook checks them`);
  if (!(plan.distro in DISTROS)) {
    throw new Error(`host ${plan.name}: distro: ${plan.distro}; the benchmark's playbook is written for ${Object.keys(DISTROS).join(', ')}`);
  }
  const distro = DISTROS[plan.distro as keyof typeof DISTROS];
  const configFiles = [
    { path: MODULES_LOAD, text: modulesLoadText(plan) },
    { path: MODPROBE_OPTIONS, text: modprobeOptionsText(plan) },
    { path: SYSCTL_HUGEPAGES, text: sysctlText(plan.hugepages) },
  ].flatMap((f) => (f.text === undefined ? [] : [{ path: f.path, content: unsafe(f.text) }]));
  const macOf = (pf: string, index: number): string => {
    const mac = plan.pfs.find((p) => p.name === pf)?.macs[index];
    if (mac === undefined) throw new Error(`host ${plan.name}: no planned MAC for VF ${index} of ${pf}`);
    return mac;
  };
  return {
    ansible_host: plan.ssh.address,
    ansible_port: plan.ssh.port,
    ansible_user: plan.ssh.user,
    ...(plan.ssh.key ? { ansible_ssh_private_key_file: plan.ssh.key } : {}),
    sriov_distro: { id: distro.id, version_id: distro.version_id },
    sriov_grub_dir: distro.grubDir,
    sriov_kernel_params: plan.kernelParams,
    sriov_pfs: plan.pfs.filter((pf) => pf.vfs > 0).map((pf) => ({ name: pf.name, vfs: pf.vfs, macs: pf.macs.slice(0, pf.vfs) })),
    sriov_sysfs_vfs: plan.pfs.some((pf) => pf.vfCreation === 'sysfs'),
    sriov_driver: {
      pf_module: plan.driver.pfModule,
      vf_module: plan.driver.vfModule,
      modules: [
        { module: plan.driver.pfModule, version: drivers.pf },
        { module: plan.driver.vfModule, version: drivers.vf },
      ],
    },
    sriov_config_files: configFiles,
    sriov_fstab_line: fstabLine(plan.hugepages),
    sriov_hugepages: { mount: plan.hugepages.mount, count: plan.hugepages.count, kb: PAGE_KB[plan.hugepages.size] },
    sriov_template_patches: uniquePatches(plan.containers.flatMap((c) => c.templatePatches)).map((p) => ({ file: p.file, find: p.find, replace: p.replace })),
    sriov_containers: plan.containers.map((c) => {
      if (!c.address) throw new Error(`host ${plan.name}: container ${c.name} has no address; the benchmark's playbook checks it`);
      return { name: c.name, mac: macOf(c.vf.pf, c.vf.index), address: c.address };
    }),
    sriov_peer: plan.benchmark.peer ?? '',
    sriov_mac_files: [
      { path: MAC_SCRIPT_PATH, content: unsafe(macScript(plan.name, plan.pfs.filter((pf) => pf.vfs > 0))), mode: '0755' },
      { path: MAC_UNIT_PATH, content: unsafe(macUnit()), mode: '0644' },
    ],
  };
}

/** The YAML inventory: one group `all` with the plans' hosts and their expected state. */
export function ansibleInventory(plans: readonly HostPlan[], drivers: DriverVersions): string {
  const hosts: Record<string, unknown> = {};
  for (const plan of plans) hosts[plan.name] = hostVars(plan, drivers);
  return stringify({ all: { hosts } }, { lineWidth: 0 });
}

export interface AnsibleConfigInputs {
  forks: number;
  /** The known_hosts file sriov-lxc verifies the nodes against: Ansible verifies against it too. */
  knownHosts: string;
  /** Where ssh keeps its ControlMaster sockets (a fresh directory per run: no warm connections). */
  controlPathDir: string;
  localTemp: string;
}

/**
 * ansible.cfg as an operator tunes it for speed: pipelining, ControlPersist, the interpreter named
 * (no discovery round trip), no fact gathering, strict host keys against the lab's known_hosts.
 */
export function ansibleConfig(i: AnsibleConfigInputs): string {
  return [
    '[defaults]',
    `forks = ${i.forks}`,
    'gathering = explicit',
    'host_key_checking = True',
    'interpreter_python = /usr/bin/python3',
    'retry_files_enabled = False',
    `local_tmp = ${i.localTemp}`,
    '',
    '[ssh_connection]',
    'pipelining = True',
    `control_path_dir = ${i.controlPathDir}`,
    `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${i.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
    '',
  ].join('\n');
}
