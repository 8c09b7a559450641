/**
 * @module Model-name comparison remembered across subjects and runs: the same handful of model names
 * meets the same product names thousands of times in a fleet (every version of every model), and the
 * comparison is pure. Bounded: the memo starts over past a size no real inventory reaches.
 */
import { compareModelNames, type NameMatch } from '../names/names.js';

const MAX_ENTRIES = 500_000;
const memo = new Map<string, NameMatch>();

export function compareModelCached(model: string, product: string): NameMatch {
  const key = `${model}\u0000${product}`;
  let r = memo.get(key);
  if (r === undefined) {
    if (memo.size >= MAX_ENTRIES) memo.clear();
    r = compareModelNames(model, product);
    memo.set(key, r);
  }
  return r;
}
