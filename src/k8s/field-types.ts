import type { JsonObject, JsonValue, Path } from '../types.js';

/*
 * The JSON types of the fields of built-in objects that mamori's checks read. The API server
 * decodes an object into Go structs before anything else, and refuses one whose field has the
 * wrong type (`privileged: "true"`, `runAsUser: "0"`, a label `version: 1.0`, `containers: {}`);
 * kubectl sends YAML as its 1.1 reading, so `value: yes` is a boolean and is refused too. mamori's
 * checks read such a field as unset, so without this a broken manifest would look clean.
 *
 * Only types are checked, not unknown fields (newer Kubernetes versions add fields) and not
 * values. `null` passes everywhere, as Go decodes it to the zero value. Fields not listed here are
 * not checked.
 */

/** A field's type: a scalar, a list of one type, a map of one value type, or an object of known fields. */
export type FieldType =
  | 'string'
  | 'boolean'
  | 'integer'
  /** int-or-string (ports of probes and Services): an integer or a string. */
  | 'int-or-string'
  /** resource.Quantity: a string or any number. */
  | 'quantity'
  | { list: FieldType }
  | { map: FieldType }
  | { fields: Fields };

type Fields = { readonly [key: string]: FieldType };

const STRINGS: FieldType = { list: 'string' };
const STRING_MAP: FieldType = { map: 'string' };
const NAME_REF: FieldType = { fields: { name: 'string', optional: 'boolean' } };

const LABEL_SELECTOR: FieldType = {
  fields: {
    matchLabels: STRING_MAP,
    matchExpressions: { list: { fields: { key: 'string', operator: 'string', values: STRINGS } } },
  },
};

const METADATA: FieldType = {
  fields: { name: 'string', generateName: 'string', namespace: 'string', labels: STRING_MAP, annotations: STRING_MAP },
};

const PROFILE: FieldType = { fields: { type: 'string', localhostProfile: 'string' } };
const SE_LINUX: FieldType = { fields: { user: 'string', role: 'string', type: 'string', level: 'string' } };
const WINDOWS: FieldType = { fields: { hostProcess: 'boolean', runAsUserName: 'string', gmsaCredentialSpecName: 'string', gmsaCredentialSpec: 'string' } };

const SECURITY_CONTEXT_COMMON: Fields = {
  runAsUser: 'integer',
  runAsGroup: 'integer',
  runAsNonRoot: 'boolean',
  seccompProfile: PROFILE,
  appArmorProfile: PROFILE,
  seLinuxOptions: SE_LINUX,
  windowsOptions: WINDOWS,
};

const CONTAINER_SECURITY_CONTEXT: FieldType = {
  fields: {
    ...SECURITY_CONTEXT_COMMON,
    privileged: 'boolean',
    allowPrivilegeEscalation: 'boolean',
    readOnlyRootFilesystem: 'boolean',
    procMount: 'string',
    capabilities: { fields: { add: STRINGS, drop: STRINGS } },
  },
};

const POD_SECURITY_CONTEXT: FieldType = {
  fields: {
    ...SECURITY_CONTEXT_COMMON,
    fsGroup: 'integer',
    fsGroupChangePolicy: 'string',
    supplementalGroups: { list: 'integer' },
    supplementalGroupsPolicy: 'string',
    sysctls: { list: { fields: { name: 'string', value: 'string' } } },
  },
};

const HANDLER: Fields = {
  exec: { fields: { command: STRINGS } },
  httpGet: { fields: { path: 'string', port: 'int-or-string', host: 'string', scheme: 'string', httpHeaders: { list: { fields: { name: 'string', value: 'string' } } } } },
  tcpSocket: { fields: { port: 'int-or-string', host: 'string' } },
};

const PROBE: FieldType = {
  fields: {
    ...HANDLER,
    grpc: { fields: { port: 'integer', service: 'string' } },
    initialDelaySeconds: 'integer',
    timeoutSeconds: 'integer',
    periodSeconds: 'integer',
    successThreshold: 'integer',
    failureThreshold: 'integer',
    terminationGracePeriodSeconds: 'integer',
  },
};

const LIFECYCLE_HANDLER: FieldType = { fields: { ...HANDLER, sleep: { fields: { seconds: 'integer' } } } };

const KEY_REF: FieldType = { fields: { name: 'string', key: 'string', optional: 'boolean' } };

const CONTAINER: FieldType = {
  fields: {
    name: 'string',
    image: 'string',
    imagePullPolicy: 'string',
    command: STRINGS,
    args: STRINGS,
    workingDir: 'string',
    ports: { list: { fields: { name: 'string', containerPort: 'integer', hostPort: 'integer', protocol: 'string', hostIP: 'string' } } },
    env: {
      list: {
        fields: {
          name: 'string',
          value: 'string',
          valueFrom: { fields: { secretKeyRef: KEY_REF, configMapKeyRef: KEY_REF, fieldRef: { fields: { fieldPath: 'string', apiVersion: 'string' } } } },
        },
      },
    },
    envFrom: { list: { fields: { prefix: 'string', secretRef: NAME_REF, configMapRef: NAME_REF } } },
    resources: { fields: { limits: { map: 'quantity' }, requests: { map: 'quantity' } } },
    volumeMounts: {
      list: { fields: { name: 'string', mountPath: 'string', subPath: 'string', subPathExpr: 'string', readOnly: 'boolean', mountPropagation: 'string', recursiveReadOnly: 'string' } },
    },
    livenessProbe: PROBE,
    readinessProbe: PROBE,
    startupProbe: PROBE,
    lifecycle: { fields: { postStart: LIFECYCLE_HANDLER, preStop: LIFECYCLE_HANDLER } },
    securityContext: CONTAINER_SECURITY_CONTEXT,
    stdin: 'boolean',
    tty: 'boolean',
  },
};

const VOLUME: FieldType = {
  fields: {
    name: 'string',
    hostPath: { fields: { path: 'string', type: 'string' } },
    emptyDir: { fields: { medium: 'string', sizeLimit: 'quantity' } },
    secret: { fields: { secretName: 'string', defaultMode: 'integer', optional: 'boolean' } },
    configMap: { fields: { name: 'string', defaultMode: 'integer', optional: 'boolean' } },
    persistentVolumeClaim: { fields: { claimName: 'string', readOnly: 'boolean' } },
  },
};

const POD_SPEC: FieldType = {
  fields: {
    containers: { list: CONTAINER },
    initContainers: { list: CONTAINER },
    ephemeralContainers: { list: CONTAINER },
    volumes: { list: VOLUME },
    hostNetwork: 'boolean',
    hostPID: 'boolean',
    hostIPC: 'boolean',
    hostUsers: 'boolean',
    shareProcessNamespace: 'boolean',
    automountServiceAccountToken: 'boolean',
    serviceAccountName: 'string',
    serviceAccount: 'string',
    nodeName: 'string',
    nodeSelector: STRING_MAP,
    runtimeClassName: 'string',
    priorityClassName: 'string',
    restartPolicy: 'string',
    securityContext: POD_SECURITY_CONTEXT,
    imagePullSecrets: { list: { fields: { name: 'string' } } },
    tolerations: { list: { fields: { key: 'string', operator: 'string', value: 'string', effect: 'string', tolerationSeconds: 'integer' } } },
  },
};

const POD_TEMPLATE: FieldType = { fields: { metadata: METADATA, spec: POD_SPEC } };
const JOB_SPEC: FieldType = { fields: { template: POD_TEMPLATE } };

const POLICY_RULE: FieldType = {
  fields: { apiGroups: STRINGS, resources: STRINGS, verbs: STRINGS, resourceNames: STRINGS, nonResourceURLs: STRINGS },
};

const SUBJECT: FieldType = { fields: { kind: 'string', name: 'string', namespace: 'string', apiGroup: 'string' } };

const NETWORK_POLICY_PEER: FieldType = {
  fields: { podSelector: LABEL_SELECTOR, namespaceSelector: LABEL_SELECTOR, ipBlock: { fields: { cidr: 'string', except: STRINGS } } },
};
const NETWORK_POLICY_PORTS: FieldType = { list: { fields: { port: 'int-or-string', endPort: 'integer', protocol: 'string' } } };

/** An object's top-level fields besides `metadata`. */
const BY_KIND: { readonly [kind: string]: { groups: readonly string[]; fields: Fields } } = {
  Pod: { groups: [''], fields: { spec: POD_SPEC } },
  PodTemplate: { groups: [''], fields: { template: POD_TEMPLATE } },
  ReplicationController: { groups: [''], fields: { spec: { fields: { replicas: 'integer', selector: STRING_MAP, template: POD_TEMPLATE } } } },
  Deployment: { groups: ['apps', 'extensions'], fields: { spec: { fields: { replicas: 'integer', selector: LABEL_SELECTOR, template: POD_TEMPLATE } } } },
  ReplicaSet: { groups: ['apps', 'extensions'], fields: { spec: { fields: { replicas: 'integer', selector: LABEL_SELECTOR, template: POD_TEMPLATE } } } },
  StatefulSet: { groups: ['apps'], fields: { spec: { fields: { replicas: 'integer', serviceName: 'string', selector: LABEL_SELECTOR, template: POD_TEMPLATE } } } },
  DaemonSet: { groups: ['apps', 'extensions'], fields: { spec: { fields: { selector: LABEL_SELECTOR, template: POD_TEMPLATE } } } },
  Job: { groups: ['batch'], fields: { spec: JOB_SPEC } },
  CronJob: { groups: ['batch'], fields: { spec: { fields: { schedule: 'string', suspend: 'boolean', jobTemplate: { fields: { metadata: METADATA, spec: JOB_SPEC } } } } } },
  // OpenShift decodes a DeploymentConfig's template as a core PodTemplateSpec.
  DeploymentConfig: { groups: ['apps.openshift.io', ''], fields: { spec: { fields: { replicas: 'integer', selector: STRING_MAP, template: POD_TEMPLATE } } } },
  // Argo Rollouts' CRD schema types the pod template as the core one; its template metadata has only labels and annotations.
  Rollout: {
    groups: ['argoproj.io'],
    fields: { spec: { fields: { replicas: 'integer', selector: LABEL_SELECTOR, template: { fields: { metadata: { fields: { labels: STRING_MAP, annotations: STRING_MAP } }, spec: POD_SPEC } } } } },
  },
  Service: {
    groups: [''],
    fields: {
      spec: {
        fields: {
          type: 'string',
          selector: STRING_MAP,
          externalIPs: STRINGS,
          loadBalancerSourceRanges: STRINGS,
          externalTrafficPolicy: 'string',
          ports: { list: { fields: { name: 'string', protocol: 'string', port: 'integer', targetPort: 'int-or-string', nodePort: 'integer' } } },
        },
      },
    },
  },
  ServiceAccount: { groups: [''], fields: { automountServiceAccountToken: 'boolean', imagePullSecrets: { list: { fields: { name: 'string' } } } } },
  ConfigMap: { groups: [''], fields: { data: STRING_MAP, binaryData: STRING_MAP } },
  Secret: { groups: [''], fields: { type: 'string', data: STRING_MAP, stringData: STRING_MAP } },
  Namespace: { groups: [''], fields: {} },
  Role: { groups: ['rbac.authorization.k8s.io'], fields: { rules: { list: POLICY_RULE } } },
  ClusterRole: {
    groups: ['rbac.authorization.k8s.io'],
    fields: { rules: { list: POLICY_RULE }, aggregationRule: { fields: { clusterRoleSelectors: { list: LABEL_SELECTOR } } } },
  },
  RoleBinding: { groups: ['rbac.authorization.k8s.io'], fields: { subjects: { list: SUBJECT }, roleRef: { fields: { apiGroup: 'string', kind: 'string', name: 'string' } } } },
  ClusterRoleBinding: { groups: ['rbac.authorization.k8s.io'], fields: { subjects: { list: SUBJECT }, roleRef: { fields: { apiGroup: 'string', kind: 'string', name: 'string' } } } },
  NetworkPolicy: {
    groups: ['networking.k8s.io', 'extensions'],
    fields: {
      spec: {
        fields: {
          podSelector: LABEL_SELECTOR,
          policyTypes: STRINGS,
          ingress: { list: { fields: { from: { list: NETWORK_POLICY_PEER }, ports: NETWORK_POLICY_PORTS } } },
          egress: { list: { fields: { to: { list: NETWORK_POLICY_PEER }, ports: NETWORK_POLICY_PORTS } } },
        },
      },
    },
  },
  Ingress: {
    groups: ['networking.k8s.io', 'extensions'],
    fields: { spec: { fields: { ingressClassName: 'string', tls: { list: { fields: { hosts: STRINGS, secretName: 'string' } } }, rules: { list: { fields: { host: 'string' } } } } } },
  },
};

/** A field of the wrong type: where it is, and what it should have been and was. */
export interface WrongType {
  path: Path;
  expected: string;
  found: string;
}

/** How many wrong fields of one object are listed; the rest are counted. */
export const MAX_WRONG_TYPES = 20;

/** Names of the scalar types in messages. */
const SCALAR_NAMES = {
  string: 'a string',
  boolean: 'a boolean',
  integer: 'an integer',
  'int-or-string': 'an integer or a string',
  quantity: 'a quantity (a string or a number)',
} as const;

type Scalar = keyof typeof SCALAR_NAMES;

/** The largest magnitude of an integer field: Kubernetes decodes them as int64 (int32 fields are smaller still). */
const INT64_LIMIT = 2 ** 63;

/**
 * True for an integer the API server can decode: a whole number within int64. The bounds are
 * read as numbers, which round ±(2^63 − 1) to ±2^63: a number that rounds to the bound is taken
 * as within it.
 */
export function isInt64(value: JsonValue): boolean {
  return Number.isInteger(value) && Math.abs(value as number) <= INT64_LIMIT;
}

/** The JSON type of a value as messages name it (never the value: it may be a secret). */
function typeName(value: JsonValue): string {
  if (Array.isArray(value)) return 'a list';
  if (Number.isInteger(value) && !isInt64(value)) return 'a number past the int64 range';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** A FieldType compiled for the walk: one shape for every node, fields in a Map. */
interface Node {
  scalar: Scalar | undefined;
  /** The type of a list's items or of a map's values. */
  of: Node | undefined;
  fields: Map<string, Node> | undefined;
  /** For the fast pass: a small integer per scalar type, LIST, MAP or FIELDS. */
  tag: number;
}

const TAGS: Record<Scalar, number> = { string: 0, boolean: 1, integer: 2, 'int-or-string': 3, quantity: 4 };
const LIST = 5;
const MAP = 6;
const FIELDS = 7;

const COMPILED = new Map<FieldType, Node>();

function compile(type: FieldType): Node {
  let node = COMPILED.get(type);
  if (node !== undefined) return node;
  node = { scalar: undefined, of: undefined, fields: undefined, tag: FIELDS };
  COMPILED.set(type, node);
  if (typeof type === 'string') {
    node.scalar = type;
    node.tag = TAGS[type];
  } else if ('list' in type) {
    node.tag = LIST;
    node.of = compile(type.list);
  } else if ('map' in type) {
    node.tag = MAP;
    node.of = compile(type.map);
  } else {
    node.fields = new Map(Object.entries(type.fields).map(([key, field]) => [key, compile(field)]));
  }
  return node;
}

/**
 * Whether a value (not null) and everything below it has its type: the pass every object takes,
 * with no path kept. Only an object that fails it is walked again to say where.
 */
function valid(node: Node, value: JsonValue): boolean {
  switch (node.tag) {
    case 0:
      return typeof value === 'string';
    case 1:
      return typeof value === 'boolean';
    case 2:
      return isInt64(value);
    case 3:
      return typeof value === 'string' || isInt64(value);
    case 4:
      return typeof value === 'string' || typeof value === 'number';
    case LIST: {
      if (!Array.isArray(value)) return false;
      const of = node.of as Node;
      for (let i = 0; i < value.length; i++) {
        const item = value[i] as JsonValue;
        if (item !== null && !valid(of, item)) return false;
      }
      return true;
    }
    case MAP: {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      const of = node.of as Node;
      const items = Object.values(value);
      if (of.tag === 0) {
        // Labels, annotations, data: the commonest map.
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          if (typeof item !== 'string' && item !== null) return false;
        }
        return true;
      }
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as JsonValue;
        if (item !== null && !valid(of, item)) return false;
      }
      return true;
    }
    default:
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      return validFields(node, value);
  }
}

/** The known fields of an object (its other keys are not checked). */
function validFields(node: Node, object: JsonObject): boolean {
  const fields = node.fields as Map<string, Node>;
  for (const key in object) {
    const field = fields.get(key);
    if (field === undefined) continue;
    const item = object[key] as JsonValue;
    if (item !== null && !valid(field, item)) return false;
  }
  return true;
}

function expectedName(node: Node): string {
  if (node.scalar !== undefined) return SCALAR_NAMES[node.scalar];
  return node.tag === LIST ? 'a list' : 'a mapping';
}

/** The API group of an apiVersion (`''` for the core group). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

class Checker {
  readonly wrong: WrongType[] = [];
  /** Wrong fields found past the ones listed. */
  more = 0;
  private readonly path: (string | number)[] = [];

  private report(node: Node, value: JsonValue): void {
    if (this.wrong.length >= MAX_WRONG_TYPES) this.more++;
    else this.wrong.push({ path: [...this.path], expected: expectedName(node), found: typeName(value) });
  }

  /** Checks a value already known not to be null. */
  check(node: Node, value: JsonValue): void {
    if (node.scalar !== undefined) {
      if (!valid(node, value)) this.report(node, value);
      return;
    }
    const of = node.of;
    if (node.tag === LIST) {
      if (!Array.isArray(value)) return this.report(node, value);
      for (let i = 0; i < value.length; i++) this.at(i, of as Node, value[i] as JsonValue);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.report(node, value);
    if (of !== undefined) {
      for (const key in value) this.at(key, of, value[key] as JsonValue);
      return;
    }
    this.fields(node.fields as Map<string, Node>, value);
  }

  /** The known fields of an object (its other keys are not checked). */
  fields(fields: Map<string, Node>, object: JsonObject): void {
    for (const key in object) {
      const node = fields.get(key);
      if (node !== undefined) this.at(key, node, object[key] as JsonValue);
    }
  }

  private at(segment: string | number, node: Node, value: JsonValue): void {
    if (value === null) return;
    // Scalars are checked here, without growing the path, as most fields are right.
    if (node.scalar !== undefined && valid(node, value)) return;
    this.path.push(segment);
    this.check(node, value);
    this.path.pop();
  }
}

/** The top-level fields of each kind checked, `metadata` included, and the API groups it is checked in. */
const KINDS = new Map(Object.entries(BY_KIND).map(([kind, { groups, fields }]) => [kind, { groups, node: compile({ fields: { metadata: METADATA, ...fields } }) }]));

/**
 * The fields of a built-in object that have a type the API server would refuse to decode, at most
 * MAX_WRONG_TYPES of them (`more` counts the rest). Objects of other kinds or groups are not checked.
 */
export function wrongTypes(object: JsonObject, apiVersion: string, kind: string): { wrong: WrongType[]; more: number } | undefined {
  const known = KINDS.get(kind);
  if (known === undefined || !known.groups.includes(groupOf(apiVersion))) return undefined;
  if (validFields(known.node, object)) return undefined;
  const checker = new Checker();
  checker.fields(known.node.fields as Map<string, Node>, object);
  return checker.wrong.length === 0 ? undefined : { wrong: checker.wrong, more: checker.more };
}
