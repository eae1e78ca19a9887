import type { RuleContext } from '../engine/rule.js';

/** Functions a rule shares between the violations of one scan, by key; keyed by the rule's context, one object per scan. */
export type SharedFunctions<F> = WeakMap<RuleContext, Map<string, F>>;

/** The most keys one scan shares functions for; past them each violation gets its own. */
const MAX_SHARED = 10_000;

/**
 * The function `make` returns for the values `key`, made once per scan and shared. A waiting
 * violation's predicate is held until the whole input is read, and most depend on a few values only
 * (a namespace, a ServiceAccount, a container's name), so the pods that agree on them share one.
 * What `make` returns must capture those values only, copied off the file's text.
 */
export function sharedFunction<F>(memo: SharedFunctions<F>, ctx: RuleContext, key: readonly (string | boolean | undefined)[], make: () => F): F {
  let byKey = memo.get(ctx);
  if (byKey === undefined) {
    byKey = new Map();
    memo.set(ctx, byKey);
  }
  // JSON: values holding any character cannot make two keys alike (undefined is null), and the text is a copy.
  const text = JSON.stringify(key);
  let made = byKey.get(text);
  if (made === undefined) {
    made = make();
    if (byKey.size < MAX_SHARED) byKey.set(text, made);
  }
  return made;
}
