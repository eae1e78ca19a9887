// Helpers shared by the benchmark scripts.

import v8 from 'node:v8';
import vm from 'node:vm';

// A collector to call between timed runs, so one run's garbage is not collected in the next.
v8.setFlagsFromString('--expose-gc');
export const gc = vm.runInNewContext('gc');

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
