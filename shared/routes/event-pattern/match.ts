/**
 * Matching compiled sub-rules against an event, the way event-ruler (EventBridge's matcher) does:
 * the event is flattened to leaf fields named by dot-joined paths (array positions dropped), and a
 * sub-rule matches when every field it names has a matching leaf, all taken from the same element
 * of any array they share ("array-consistent" matching).
 */
import type { SubRule } from './compile';
import { isPlainObject } from './errors';
import type { Leaf } from './operators';

/** For each array a leaf sits inside (by the array's id in this event), the element it is in. */
type Membership = ReadonlyMap<number, number>;

interface Field {
  readonly value: Leaf;
  readonly membership: Membership;
}

export type EventFields = ReadonlyMap<string, readonly Field[]>;

/** Every prefix of every path a sub-rule names: the event is only walked where a pattern looks. */
export const pathsOfInterest = (rules: readonly SubRule[]): ReadonlySet<string> => {
  const paths = new Set<string>();
  for (const rule of rules) {
    for (const [path] of rule) {
      let end = path.indexOf('.');
      while (end >= 0) {
        paths.add(path.slice(0, end));
        end = path.indexOf('.', end + 1);
      }
      paths.add(path);
    }
  }
  return paths;
};

/** The event's leaves under the paths of interest. Values that are not JSON are skipped. */
export const flattenEvent = (event: Record<string, unknown>, interest: ReadonlySet<string>): EventFields => {
  const fields = new Map<string, Field[]>();
  let arrays = 0;
  const visit = (value: unknown, path: string, membership: Membership): void => {
    if (Array.isArray(value)) {
      const array = arrays++;
      value.forEach((element, index) => {
        // Scalars in an array are alternatives of one field; objects and arrays are elements to keep apart.
        const nested = typeof element === 'object' && element !== null;
        visit(element, path, nested ? new Map(membership).set(array, index) : membership);
      });
    } else if (isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        if (interest.has(childPath)) visit(child, childPath, membership);
      }
    } else if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      value === null ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      const list = fields.get(path);
      if (list) list.push({ value, membership });
      else fields.set(path, [{ value, membership }]);
    }
  };
  visit(event, '', new Map());
  return fields;
};

const consistent = (chosen: Membership, candidate: Membership): boolean => {
  for (const [array, index] of candidate) {
    const other = chosen.get(array);
    if (other !== undefined && other !== index) return false;
  }
  return true;
};

const merge = (chosen: Membership, candidate: Membership): Membership => {
  if (candidate.size === 0) return chosen;
  const merged = new Map(chosen);
  for (const [array, index] of candidate) merged.set(array, index);
  return merged;
};

/**
 * Depth-first over the sub-rule's fields in path order. `exists: false` holds when no leaf of that
 * path is consistent with the array elements chosen so far, so it can depend on earlier fields.
 */
export const matchesSubRule = (rule: SubRule, fields: EventFields): boolean => {
  const step = (index: number, chosen: Membership): boolean => {
    const entry = rule[index];
    if (entry === undefined) return true;
    const [path, spec] = entry;
    const candidates = fields.get(path) ?? [];
    for (const field of candidates) {
      if (
        consistent(chosen, field.membership) &&
        spec.tests.some((test) => test(field.value)) &&
        step(index + 1, merge(chosen, field.membership))
      ) {
        return true;
      }
    }
    return spec.absent && !candidates.some((field) => consistent(chosen, field.membership)) && step(index + 1, chosen);
  };
  return step(0, new Map());
};
