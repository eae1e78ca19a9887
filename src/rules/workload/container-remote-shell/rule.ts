import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { parseImageReference } from '../../../k8s/image.js';
import type { Path } from '../../../types.js';
import { containerLabel } from '../../image/common.js';

/** Images whose last path component names an SSH server image. */
const SSH_SERVER_IMAGES: ReadonlySet<string> = new Set(['sshd', 'openssh-server', 'dropbear']);

/**
 * Git servers whose SSH port serves git only (a forced command or a built-in server), never a
 * shell; matched on the image's last path component.
 */
const GIT_SERVER_IMAGES: ReadonlySet<string> = new Set([
  'gitea',
  'forgejo',
  'gogs',
  'gitlab',
  'gitlab-ce',
  'gitlab-ee',
  'gitlab-shell',
  'gitolite',
  'soft-serve',
]);

/**
 * An SSH daemon started by a command word (`sshd`, `/usr/sbin/sshd -D`, `sh -c "dropbear -F & app"`)
 * or through the init system (`service ssh start`).
 */
const DAEMON = /(?:^|[\s/;&|('"])(sshd|dropbear)(?=$|[\s;&|)'"])|\b(?:service\s+|init\.d\/)(sshd?)\s+start\b/;

/** The last path component of an image's repository, or undefined when the reference does not parse. */
function imageBase(image: unknown): string | undefined {
  const text = asString(image);
  if (text === undefined) return undefined;
  const parsed = parseImageReference(text);
  if (!parsed.ok) return undefined;
  const repository = parsed.ref.repository;
  return repository.slice(repository.lastIndexOf('/') + 1);
}

export const rule = defineRule({
  id: 'container-remote-shell',
  title: 'Container runs an SSH server',
  severity: 'medium',
  target: 'container',
  controls: ['DEV-1', 'ACC-2'],
  frameworks: { kubescape: ['C-0042'] },
  description:
    'An SSH server inside a container is a way in that bypasses the Kubernetes API: who logs in gets a shell without the RBAC check on `pods/exec`, without an entry in the API audit log, and with whatever keys or passwords were baked into the image or mounted, which are rarely rotated and often shared between replicas. It also adds a network-facing daemon, with its own vulnerabilities, to every replica, reachable from any pod the network policies let through. The rule reports clear signals only: a TCP `containerPort` 22, a port named `ssh`, `sshd` or `dropbear` as a word of the command or arguments (or `service ssh start`), or an image named `sshd`, `openssh-server` or `dropbear`. Git servers (Gitea, Forgejo, Gogs, GitLab, GitLab Shell, Gitolite, Soft Serve, by image name), whose SSH port serves git and no shell, are not reported.',
  remediation:
    'Remove the SSH server from the image and the command, and the port from `ports`. Use `kubectl exec` (or `kubectl debug` with an ephemeral container) for interactive access, so that RBAC decides who may do it and the audit log records it; copy files with `kubectl cp` or a job. If SSH is the product (a bastion or an SFTP service), run it in a dedicated namespace behind a NetworkPolicy, with keys from a Secret, and add an exception that names it.',
  *check({ container, field, name, index, path }) {
    const base = imageBase(container['image']) ?? '';
    if (GIT_SERVER_IMAGES.has(base)) return;
    const signals: string[] = [];
    const paths: Path[] = [];
    for (const [i, entry] of asArray(container['ports']).entries()) {
      const port = asObject(entry);
      if (port === undefined) continue;
      const protocol = (asString(port['protocol']) ?? 'TCP').toUpperCase();
      if (port['containerPort'] === 22 && protocol === 'TCP') {
        signals.push('containerPort 22');
        paths.push([...path, 'ports', i, 'containerPort']);
      } else if (asString(port['name'])?.toLowerCase() === 'ssh' && protocol === 'TCP') {
        const number = port['containerPort'];
        signals.push(typeof number === 'number' ? `port ${number} named "ssh"` : 'a port named "ssh"');
        paths.push([...path, 'ports', i, 'name']);
      }
    }
    for (const key of ['command', 'args'] as const) {
      for (const [i, word] of asArray(container[key]).entries()) {
        const match = typeof word === 'string' ? DAEMON.exec(word) : null;
        if (!match) continue;
        signals.push(match[1] !== undefined ? `"${match[1]}" in its ${key}` : `the ${match[2] ?? 'ssh'} service started by its ${key}`);
        paths.push([...path, key, i]);
        break;
      }
    }
    if (SSH_SERVER_IMAGES.has(base)) {
      signals.push(`image "${base}"`);
      paths.push([...path, 'image']);
    }
    const [first, ...rest] = paths;
    if (first === undefined) return;
    yield {
      path: first,
      ...(rest.length > 0 ? { paths: rest } : {}),
      message: `${containerLabel(field, name, index)} runs an SSH server (${signals.join(', ')}): a way in that bypasses RBAC on pods/exec and the API audit log`,
    };
  },
});
