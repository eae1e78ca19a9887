/**
 * `KubeletConfiguration` (kubelet.config.k8s.io/v1beta1) with its defaults, for the kubelet
 * checks of CIS section 4.2. The defaults of the config file differ from those of the kubelet's
 * command-line flags (specs/control-plane.md §4.1): a field absent from the file takes the file
 * default below, not the flag default.
 */
import type { JsonObject, Path } from '../../types.js';
import { isObject } from '../object.js';

/** True for a KubeletConfiguration object of any `kubelet.config.k8s.io` version. */
export function isKubeletConfiguration(object: JsonObject): boolean {
  return object['kind'] === 'KubeletConfiguration' && typeof object['apiVersion'] === 'string' && object['apiVersion'].startsWith('kubelet.config.k8s.io/');
}

/** Defaults of `KubeletConfiguration` v1beta1 ("Kubelet Configuration (v1beta1)" reference). */
export const KUBELET_DEFAULTS = {
  'authentication.anonymous.enabled': false,
  'authentication.webhook.enabled': true,
  'authentication.x509.clientCAFile': '',
  'authorization.mode': 'Webhook',
  readOnlyPort: 0,
  streamingConnectionIdleTimeout: '4h0m0s',
  makeIPTablesUtilChains: true,
  eventRecordQPS: 50,
  tlsCertFile: '',
  tlsPrivateKeyFile: '',
  serverTLSBootstrap: false,
  rotateCertificates: false,
  'featureGates.RotateKubeletServerCertificate': true,
  podPidsLimit: -1,
  seccompDefault: false,
  tlsMinVersion: '',
} as const;

export type KubeletField = keyof typeof KUBELET_DEFAULTS;

/** A setting of the file: its value as written (any JSON type) or the default, and its path. */
export interface KubeletSetting {
  /** The value in the file, or the default when absent. */
  value: unknown;
  /** True when the file sets the field. */
  set: boolean;
  path: Path;
}

/** The value of a dotted field of the file, with the default applied when it is absent. */
export function kubeletSetting(config: JsonObject, field: KubeletField): KubeletSetting {
  const path = field.split('.');
  let node: unknown = config;
  for (const key of path) {
    node = isObject(node) ? node[key] : undefined;
  }
  if (node === undefined || node === null) return { value: KUBELET_DEFAULTS[field], set: false, path };
  return { value: node, set: true, path };
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds of a Go duration (`4h0m0s`, `5m`, `0`); undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0' || t === '+0' || t === '-0') return 0;
  const match = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(t);
  if (match === null) return undefined;
  let total = 0;
  for (const part of t.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (UNIT_SECONDS[part[2] ?? 's'] ?? 1);
  }
  return match[1] === '-' ? -total : total;
}

/** A number as the config decoder accepts it; undefined for other types. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
