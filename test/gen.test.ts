import { describe, expect, it } from 'vitest';
import { stale } from '../scripts/gen.js';

describe('generated files', () => {
  it('src/rules/index.ts and docs/rules/ are up to date (run `npm run gen`)', async () => {
    expect(await stale()).toEqual([]);
  });
});
