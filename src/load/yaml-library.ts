import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let library: typeof Yaml | undefined;

/**
 * The `yaml` package, loaded the first time it is needed: it costs about 30 ms of start-up, and a
 * scan needs it only for exact positions in documents the fast reader cannot follow.
 */
export function yamlLibrary(): typeof Yaml {
  library ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return library;
}
