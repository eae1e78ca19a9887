import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject, Path } from '../../../types.js';
import { canonicalHostPath, describeContainers, mountsByVolume, type VolumeMount } from '../host-paths.js';
import { expandSubPath } from './sub-path-expr.js';

/** Container runtime API sockets, in canonical form (`/var/run` folded into `/run`). */
const SOCKETS: ReadonlyMap<string, string> = new Map([
  ['/run/docker.sock', 'Docker'],
  ['/run/dockershim.sock', 'dockershim'],
  ['/run/cri-dockerd.sock', 'cri-dockerd'],
  ['/run/containerd/containerd.sock', 'containerd'],
  ['/run/containerd/containerd.sock.ttrpc', 'containerd'],
  ['/run/docker/containerd/containerd.sock', 'containerd'],
  ['/run/k3s/containerd/containerd.sock', 'containerd'],
  ['/run/k0s/containerd.sock', 'containerd'],
  ['/var/snap/microk8s/common/run/containerd.sock', 'containerd'],
  ['/run/crio/crio.sock', 'CRI-O'],
  ['/run/podman/podman.sock', 'Podman'],
]);

/** The socket file names of each runtime, wherever a distribution puts them. */
const SOCKET_NAMES: ReadonlyMap<string, string> = new Map([
  ['docker.sock', 'Docker'],
  ['dockershim.sock', 'dockershim'],
  ['cri-dockerd.sock', 'cri-dockerd'],
  ['containerd.sock', 'containerd'],
  ['crio.sock', 'CRI-O'],
  ['podman.sock', 'Podman'],
]);

/**
 * Directories that hold runtime sockets. `/` is named on its own (see `exposure`); `/var` is not
 * one: on current distributions `/var/run` is a link to `/run`, which a mount of `/var` resolves
 * inside the container, and the MicroK8s directory under it is listed.
 */
const SOCKET_DIRECTORIES: ReadonlySet<string> = new Set([
  '/run',
  '/run/containerd',
  '/run/docker',
  '/run/docker/containerd',
  '/run/crio',
  '/run/podman',
  '/run/k3s',
  '/run/k3s/containerd',
  '/run/k0s',
  '/var/snap/microk8s/common/run',
]);

/** The named pipes of the runtimes on Windows nodes (`\\.\pipe\docker_engine`, `\\.\pipe\containerd-containerd`). */
const WINDOWS_PIPE = /^[\\/]{2}\.[\\/]pipe[\\/](docker_engine|containerd-containerd)$/i;

/** What a canonical host path exposes, for the message; undefined when it is no runtime socket. */
function exposure(path: string): string | undefined {
  const runtime = SOCKETS.get(path) ?? SOCKET_NAMES.get(path.slice(path.lastIndexOf('/') + 1));
  if (runtime !== undefined) return `the ${runtime} socket`;
  if (SOCKET_DIRECTORIES.has(path)) return 'a directory holding container runtime sockets';
  if (path === '/') return "the host's root filesystem, with every container runtime socket under /run";
  return undefined;
}

/**
 * The socket paths and directories a subPath could reach, directories first, each also under
 * `/var/run` (a prefix such as `r` under `/var` reaches `/var/run` but not its canonical `/run`).
 */
const REACHABLE: readonly (readonly [string, string])[] = [...SOCKET_DIRECTORIES, ...SOCKETS.keys()].flatMap((path) => {
  const what = exposure(path) ?? '';
  return path === '/run' || path.startsWith('/run/') ? [[path, what], [`/var${path}`, what]] as const : [[path, what]] as const;
});

/**
 * What a subPath that starts with `prefix` and continues with any relative path may expose under
 * the canonical host path `hostPath`: the first socket or socket directory it can reach.
 */
function reachable(hostPath: string, prefix: string): string | undefined {
  const cut = prefix.lastIndexOf('/') + 1;
  let dir = prefix.slice(0, cut);
  let partial = prefix.slice(cut);
  if (partial === '.' || partial === '..') {
    dir += partial;
    partial = '';
  }
  const base = canonicalHostPath(`${hostPath}/${dir}`);
  if (base === undefined) return undefined;
  const start = `${base === '/' ? '' : base}/${partial}`;
  // An empty value mounts the directory itself.
  return REACHABLE.find(([path]) => (partial === '' && path === base) || path.startsWith(start))?.[1];
}

/** The container and the `volumeMounts[]` entry that `mount.path` points at. */
function mountEntry(spec: JsonObject, specPath: Path, mount: VolumeMount): { container: JsonObject; entry: JsonObject } | undefined {
  const [field, index, , at] = mount.path.slice(specPath.length);
  if (typeof field !== 'string' || typeof index !== 'number' || typeof at !== 'number') return undefined;
  const container = asObject(asArray(spec[field])[index]);
  const entry = asObject(asArray(container?.['volumeMounts'])[at]);
  return container === undefined || entry === undefined ? undefined : { container, entry };
}

/** What the canonical host path `hostPath` exposes under the relative path `sub` that `field` sets. */
function under(hostPath: string, sub: string, field: 'subPath' | 'subPathExpr'): string | undefined {
  const effective = canonicalHostPath(`${hostPath}/${sub}`);
  const exposed = effective === undefined ? undefined : exposure(effective);
  return exposed === undefined || effective === hostPath ? exposed : `${exposed} (through ${field})`;
}

/** What one mount of the canonical host path `hostPath` exposes, for the message; undefined when no runtime socket. */
function mountExposure(hostPath: string, mount: VolumeMount, spec: JsonObject, specPath: Path): string | undefined {
  if (mount.subPath !== undefined) return under(hostPath, mount.subPath, 'subPath');
  const found = mountEntry(spec, specPath, mount);
  const expression = asString(found?.entry['subPathExpr']);
  if (found === undefined || expression === undefined || expression === '') return exposure(hostPath);
  const expanded = expandSubPath(expression, found.container);
  if (expanded.unknown === undefined) return under(hostPath, expanded.known, 'subPathExpr');
  // The variable's value may be any relative path: reported when some value reaches a socket.
  const runtime = SOCKET_NAMES.get(expanded.tail.slice(expanded.tail.lastIndexOf('/') + 1));
  const exposed = reachable(hostPath, expanded.known) ?? (runtime === undefined ? undefined : `the ${runtime} socket`);
  return exposed === undefined ? undefined : `${exposed} (through subPathExpr "${expression}" for some values of ${expanded.unknown}, which the pod spec does not fix)`;
}

/**
 * The user a container runs as, when it cannot reach a root-owned socket: a fixed non-zero UID and
 * group, no privilege escalation (so no setuid binary makes it root), not privileged, and no
 * supplementary groups (one might be the socket's group). Undefined otherwise.
 */
function unprivilegedUser(spec: JsonObject, container: JsonObject | undefined): number | undefined {
  const pod = asObject(spec['securityContext']);
  const own = asObject(container?.['securityContext']);
  const setting = (field: string): unknown => own?.[field] ?? pod?.[field];
  const user = setting('runAsUser');
  const group = setting('runAsGroup');
  // Without runAsGroup the primary group is the image's, 0 by default: root's group, which the sockets admit.
  if (typeof user !== 'number' || user <= 0 || typeof group !== 'number' || group <= 0) return undefined;
  if (own?.['allowPrivilegeEscalation'] !== false || own['privileged'] === true) return undefined;
  if (asArray(pod?.['supplementalGroups']).length > 0 || (pod?.['fsGroup'] !== undefined && pod['fsGroup'] !== null)) return undefined;
  return user;
}

export const rule = defineRule({
  id: 'container-runtime-socket',
  title: 'Container runtime socket mounted',
  severity: 'critical',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  controls: ['CMP-1', 'CMP-4'],
  frameworks: { cis: ['5.2.11'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0074'] },
  description:
    'The socket of the container runtime (Docker, containerd, CRI-O, Podman, dockershim, cri-dockerd) is an unauthenticated root API on the node: whoever can connect starts a privileged container with the host\'s root filesystem mounted, reads every container\'s environment and files, and bypasses Pod Security Admission, admission webhooks and audit logs entirely. Mounting the socket (on Windows nodes the named pipe `\\\\.\\pipe\\docker_engine` or `containerd-containerd`), or a directory that holds it (/run, /var/run, /run/containerd, ..., and the host\'s root `/`), hands that to every process of the container; `readOnly: true` does not help, since connecting to a socket is not a write. A mount used only by containers that run as a fixed non-root user and group with `allowPrivilegeEscalation: false`, not privileged and without supplementary groups (`supplementalGroups`, `fsGroup`) is reported as high: the sockets are root\'s with mode 0660, so such a process connects only where the node loosened them. Only volumes that some container mounts are reported (a `subPath` that leads elsewhere is not). A `subPathExpr` is expanded with what the pod spec fixes of its variables: the pod\'s name, namespace, UID, node or IP from the downward API give a folder of the pod\'s own, a literal `value` is used as written, and a variable from a Secret, a ConfigMap, `envFrom` or a label may hold any path, so the mount is reported when some value of it would reach a socket or a directory holding one.',
  remediation:
    'Remove the hostPath volume and its volumeMounts. To build images use a daemonless builder (BuildKit rootless, kaniko, buildah) in an unprivileged pod; to inspect containers use the Kubernetes API or a node agent that exposes only what it needs. If a node agent truly needs the CRI socket, run it as a dedicated DaemonSet on a separate namespace with an exception that names it.',
  *check({ spec, specPath }) {
    const volumes = asArray(spec['volumes']);
    if (volumes.length === 0) return;
    let mounts: ReturnType<typeof mountsByVolume> | undefined;
    for (let i = 0; i < volumes.length; i++) {
      const volume = asObject(volumes[i]);
      const raw = asString(asObject(volume?.['hostPath'])?.['path']);
      if (volume === undefined || raw === undefined) continue;
      const pipe = WINDOWS_PIPE.exec(raw)?.[1];
      const hostPath = pipe === undefined ? canonicalHostPath(raw) : raw;
      if (hostPath === undefined) continue;
      const name = asString(volume['name']) ?? '';
      mounts ??= mountsByVolume(spec, specPath);
      const names: string[] = [];
      const paths: Path[] = [];
      const users = new Set<number | undefined>();
      let what: string | undefined;
      for (const mount of mounts.get(name) ?? []) {
        const exposed = pipe !== undefined ? `the ${pipe === 'docker_engine' ? 'Docker' : 'containerd'} named pipe` : mountExposure(hostPath, mount, spec, specPath);
        if (exposed === undefined) continue;
        what ??= exposed;
        names.push(mount.container);
        paths.push(mount.path);
        users.add(pipe === undefined ? unprivilegedUser(spec, mountEntry(spec, specPath, mount)?.container) : undefined);
      }
      if (what === undefined) continue;
      const message = `hostPath volume "${name}" (${raw}) exposes ${what} to ${describeContainers(names)}: a root API on the node`;
      if (users.has(undefined)) {
        yield { path: [...specPath, 'volumes', i, 'hostPath', 'path'], paths, message };
        continue;
      }
      // Every container that mounts it runs as a fixed non-root user that cannot become root.
      const ids = [...users].sort((a, b) => (a ?? 0) - (b ?? 0)).join(', ');
      yield {
        path: [...specPath, 'volumes', i, 'hostPath', 'path'],
        paths,
        severity: 'high',
        message: `${message}, though only to user ${ids} without privilege escalation, which connects only if the socket's group or mode admits it (runtime sockets are root's, mode 0660)`,
      };
    }
  },
});
