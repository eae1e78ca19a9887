import { definePssRule } from '../define.js';

export const rule = definePssRule({
  checkId: 'sysctls',
  id: 'pss-sysctls',
  title: 'Unsafe sysctl',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { nsa: ['Kubernetes Pod security'] },
  description:
    'Only a few namespaced sysctls are isolated from the node. Others change kernel behaviour for every pod on the node (memory, IPC and network limits), which allows denial of service against neighbours or weakens the kernel\'s own protections.',
  remediation:
    'Remove the sysctl from `spec.securityContext.sysctls`, or use only the allowed names: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, and from later policy versions net.ipv4.ip_local_reserved_ports (v1.27), net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl, tcp_keepalive_probes (v1.29), net.ipv4.tcp_rmem, tcp_wmem (v1.32), net.ipv4.tcp_slow_start_after_idle, tcp_notsent_lowat (v1.37). `mamori fix` has no automatic fix for this: removing a sysctl changes how the workload\'s kernel behaves, which only its owner can judge.',
});
