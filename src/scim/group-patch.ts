import type { Filter } from 'scim2-parse-filter';
import { parse } from 'scim2-parse-filter';
import { readPatchOperations, VALUE_PATH } from './entra-compat.js';
import { invalidPath, invalidValue, mutability } from './errors.js';
import { checkDisplayName, checkExternalId, memberIdsIn } from './group-resource.js';
import { resolveGroupPath } from './group-schema.js';

/**
 * One step of a Group PATCH, in request order. Member steps name the ids they touch, so applying them
 * touches only those rows (store/group-members.ts); nothing here reads the group's current members.
 */
export type GroupPatchStep =
  | { kind: 'addMembers'; ids: string[] }
  | { kind: 'removeMembers'; ids: string[] }
  | { kind: 'removeAllMembers' }
  | { kind: 'replaceMembers'; ids: string[] }
  | { kind: 'setDisplayName'; value: string }
  | { kind: 'setExternalId'; value: string | null };

/**
 * Turns a PatchOp body on a Group into steps (RFC 7644 §3.5.2), as Entra sends it: capitalised ops, `members`
 * with a value list (Add, Remove), `members[value eq "id"]` to remove one, a path-less Replace of
 * `{ displayName }` for a rename. `maxChanges` (SCIM_MAX_PATCH_OPERATIONS) bounds operations and member
 * values together, so one request does at most that much work.
 */
export function planGroupPatch(body: unknown, maxChanges: number): GroupPatchStep[] {
  const steps: GroupPatchStep[] = [];
  for (const { op, path, value, hasValue } of readPatchOperations(body, maxChanges)) {
    if (path === undefined) {
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const resolved = resolveGroupPath(key);
        // readOnly attributes in a request are ignored (RFC 7643 §2.2): Entra echoes `id` in a path-less Replace.
        if (resolved?.attribute.mutability === 'readOnly' || key.toLowerCase() === 'schemas') continue;
        steps.push(stepFor(op, key, v, true));
      }
      continue;
    }
    steps.push(stepFor(op, path, value, hasValue));
  }
  const changes = steps.reduce((n, s) => n + ('ids' in s ? s.ids.length : 1), 0);
  if (changes > maxChanges) throw invalidValue(`A PATCH may make at most ${maxChanges} changes; this one makes ${changes}.`);
  return steps;
}

function stepFor(op: 'add' | 'replace' | 'remove', path: string, value: unknown, hasValue: boolean): GroupPatchStep {
  const valuePath = VALUE_PATH.exec(path);
  const resolved = resolveGroupPath(valuePath ? (valuePath[1] ?? '') : path);
  if (!resolved) throw invalidPath(`"${path}" is not an attribute of a Group.`);
  if (resolved.attribute.mutability === 'readOnly') throw mutability(`"${resolved.canonical}" is readOnly and cannot be modified.`);
  const name = resolved.attribute.name;
  if (name === 'members') {
    if (resolved.sub) throw invalidPath(`"${path}": change members as a whole or by members[value eq "id"].`);
    if (valuePath) {
      if (op !== 'remove' || valuePath[3] !== undefined) throw invalidPath(`"${path}": a value filter on members serves only "remove".`);
      return { kind: 'removeMembers', ids: idsInFilter(valuePath[2] ?? '', path) };
    }
    if (op === 'remove') return hasValue && value !== null && value !== undefined ? { kind: 'removeMembers', ids: memberIdsIn(value) } : { kind: 'removeAllMembers' };
    if (!hasValue) throw invalidValue(`The "${op}" operation on "members" needs a value.`);
    const ids = memberIdsIn(value);
    return op === 'add' ? { kind: 'addMembers', ids } : { kind: 'replaceMembers', ids };
  }
  if (valuePath) throw invalidPath(`"${path}": a value filter applies only to members.`);
  if (name === 'displayName') {
    if (op === 'remove' || value === null) throw invalidValue('"displayName" is required for a group and cannot be removed.');
    return { kind: 'setDisplayName', value: checkDisplayName(value) };
  }
  // externalId: the only other writable attribute.
  if (op === 'remove') return { kind: 'setExternalId', value: null };
  if (!hasValue) throw invalidValue(`The "${op}" operation on "externalId" needs a value.`);
  return { kind: 'setExternalId', value: checkExternalId(value) };
}

/** The ids of `value eq "id"` comparisons joined by `or` (Entra removes one member per path; others may list several). */
function idsInFilter(text: string, path: string): string[] {
  let filter: Filter;
  try {
    filter = parse(text);
  } catch {
    throw invalidPath(`"${path}": the value filter could not be parsed.`);
  }
  const ids: string[] = [];
  const walk = (f: Filter): void => {
    if (f.op === 'or' && 'filters' in f) return f.filters.forEach(walk);
    if (f.op === 'eq' && 'attrPath' in f && f.attrPath.toLowerCase() === 'value' && 'compValue' in f && typeof f.compValue === 'string') {
      ids.push(f.compValue);
      return;
    }
    throw invalidPath(`"${path}": only members[value eq "id"] (joined by or) selects members.`);
  };
  walk(filter);
  return ids;
}
