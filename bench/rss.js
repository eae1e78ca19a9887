// Runs the mamori CLI in this process and reports its peak resident set size and wall time on
// stderr, as the last line: `mamori-bench {"maxRssKiB":N,"wallMs":N,"exitCode":N}`.
//
//   node bench/rss.js scan <dir> --format json --output /dev/null

import { writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const started = performance.now();
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mamori.js');
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
process.on('exit', (code) => {
  const line = { maxRssKiB: process.resourceUsage().maxRSS, wallMs: performance.now() - started, exitCode: code };
  writeSync(2, `\nmamori-bench ${JSON.stringify(line)}\n`);
});
await import(bin);
