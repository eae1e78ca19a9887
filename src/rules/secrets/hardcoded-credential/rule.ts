import { defineRule } from '../../../engine/rule.js';
import { credentialViolations } from '../credentials.js';

export const rule = defineRule({
  id: 'hardcoded-credential',
  title: 'Private key or access token in plain text',
  severity: 'high',
  target: 'object',
  controls: ['STO-5', 'ACC-2'],
  frameworks: { kubescape: ['C-0012', 'C-0259'], nsa: ['Secrets'] },
  description:
    'A private key, cloud access key (AWS, Google Cloud service-account key, Azure storage or shared access key) or API token (GitHub, GitLab, Slack, Stripe, JWT) is written in a container\'s env or command line, in a ConfigMap or in an annotation. These are recognised by their format, so they are live credentials, not guesses; being generated, they cannot be guessed from the fingerprint (8 hex digits of a SHA-256, and the length) that messages show instead of the value. Anyone who can read the manifest in Git, or `get` the object in the cluster (far more people than can read Secrets), can use them; they end up in CI logs, backups and `kubectl describe` output, and stay in Git history after they are removed.',
  remediation:
    'Revoke and rotate the credential first: it has been exposed. Then store it in a Secret (created by a secret manager such as External Secrets, Sealed Secrets or the Secrets Store CSI driver, never committed) and mount it as a file (`volumes[].secret` + `volumeMounts`); prefer workload identity (IRSA / EKS Pod Identity, GKE Workload Identity, Azure Workload Identity) over static cloud keys. Remove the value from annotations and ConfigMaps.',
  // Annotations of every kind are read, so no `kinds`; objects without annotations, env or data cost a few property reads.
  *check({ object }) {
    yield* credentialViolations(object, 'key');
  },
});
