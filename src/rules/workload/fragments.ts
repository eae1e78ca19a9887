/** See src/k8s/pod.ts. */
export { isIncompletePodSpec as isFragment } from '../../k8s/pod.js';
