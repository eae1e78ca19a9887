import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The YAML files under a folder, in a stable order. */
export function yamlFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
    else if (/\.ya?ml$/.test(p)) out.push(p);
  };
  walk(root);
  return out;
}
