import { scimPatch, ScimError as PatchLibraryError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { parse, stringify, type Filter } from 'scim2-parse-filter';
import { invalidPath, invalidSyntax, invalidValue, noTarget } from './errors.js';
import { VALUE_PATH, type NormalisedOperation } from './entra-compat.js';
import type { UserDocument } from './user-resource.js';
import { resolvePath, type AttributeDef } from './user-schema.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Applies normalised PATCH operations to a stored document, one after another (RFC 7644 §3.5.2), mostly with
 * scim-patch. Before each operation its path is aligned with what is stored (see alignPath); a `remove` with a
 * value on a multi-valued attribute is done here (see removeByValue). The document is copied once, and the
 * operations change the copy: a copy per operation would cost SCIM_MAX_PATCH_OPERATIONS copies of the resource.
 */
export function applyPatch(document: UserDocument, operations: NormalisedOperation[]): UserDocument {
  let current = structuredClone(document);
  for (const operation of operations) {
    const op = { ...operation, path: alignPath(current, operation.path) };
    current = op.op === 'remove' && op.value !== undefined ? removeByValue(current, op.path, op.value) : applyOne(current, op);
  }
  return current;
}

/**
 * Both options are passed: either alone resets the other to off, and Entra replaces `emails[type eq
 * "work"].value` expecting the element to be created when none matches (treatMissingAsAdd).
 */
function applyOne(document: UserDocument, operation: NormalisedOperation): UserDocument {
  const meta = { created: new Date(0), lastModified: new Date(0) };
  const resource = { ...document, meta } as unknown as ScimResource;
  try {
    const patched = scimPatch(resource, [operation as ScimPatchOperation], { mutateDocument: true, treatMissingAsAdd: true });
    const { meta: _meta, ...rest } = patched as unknown as Record<string, unknown>;
    return rest;
  } catch (err) {
    throw translatePatchError(err);
  }
}

const keyLike = (container: unknown, name: string): string => {
  const lower = name.toLowerCase();
  return (isObject(container) ? Object.keys(container).find((k) => k.toLowerCase() === lower) : undefined) ?? name;
};

/**
 * Spells a path the way the document stores it, since scim-patch compares exactly while SCIM does not:
 * - a custom extension's URN and attribute names (case-insensitive, RFC 7644 §3.10) as first stored;
 * - in a value filter, a caseExact=false string (`type eq "Work"`) as the stored element spells it, so the
 *   filter finds `work` (values are kept as sent, and matched ignoring case).
 */
function alignPath(document: UserDocument, path: string): string {
  const valuePath = VALUE_PATH.exec(path);
  if (!valuePath) {
    const resolved = resolvePath(path);
    if (!resolved?.custom) return path;
    const urn = keyLike(document, resolved.schema);
    const extension = document[urn];
    const attribute = keyLike(extension, resolved.attribute.name);
    if (!resolved.sub) return `${urn}:${attribute}`;
    return `${urn}:${attribute}.${keyLike(isObject(extension) ? extension[attribute] : undefined, resolved.sub.name)}`;
  }
  const [, base = '', filterText = '', sub] = valuePath;
  const rest = sub === undefined ? '' : `.${sub}`;
  const resolved = resolvePath(base);
  const elements = resolved ? document[resolved.attribute.name] : undefined;
  if (!resolved || !Array.isArray(elements)) return path;
  let filter: Filter;
  try {
    filter = parse(filterText);
  } catch {
    return path; // scim-patch reports the malformed filter
  }
  return `${base}[${stringify(alignFilter(filter, resolved.attribute, elements))}]${rest}`;
}

function alignFilter(f: Filter, attribute: AttributeDef, elements: unknown[]): Filter {
  if ((f.op === 'and' || f.op === 'or') && 'filters' in f) return { ...f, filters: f.filters.map((x) => alignFilter(x, attribute, elements)) };
  if (f.op === 'not' && 'filter' in f) return { ...f, filter: alignFilter(f.filter, attribute, elements) };
  if (f.op !== 'eq' || !('compValue' in f) || typeof f.compValue !== 'string') return f;
  const sub = attribute.subAttributes?.find((s) => s.name.toLowerCase() === f.attrPath.toLowerCase());
  if (!sub || sub.type !== 'string' || sub.caseExact) return f;
  const wanted = f.compValue.toLowerCase();
  const stored = elements.map((el) => (isObject(el) ? el[sub.name] : undefined)).find((v) => typeof v === 'string' && v.toLowerCase() === wanted);
  return typeof stored === 'string' ? { ...f, compValue: stored } : f;
}

/**
 * `remove` with a value on a multi-valued attribute removes the elements whose `value` matches one given
 * (ignoring case unless the attribute's value is caseExact), not only elements identical in every
 * sub-attribute; a given element without `value` removes the elements that hold all of its sub-attributes.
 */
function removeByValue(document: UserDocument, path: string, value: unknown): UserDocument {
  const resolved = resolvePath(path);
  const key = resolved?.attribute.name;
  if (!resolved || !key || !Array.isArray(document[key])) return document;
  const valueDef = resolved.attribute.subAttributes?.find((s) => s.name === 'value');
  const same = (a: unknown, b: unknown): boolean =>
    typeof a === 'string' && typeof b === 'string' && !valueDef?.caseExact ? a.toLowerCase() === b.toLowerCase() : a === b;
  const given = Array.isArray(value) ? value : [value];
  const matches = (el: unknown): boolean =>
    given.some((g) => {
      if (!isObject(g)) return isObject(el) ? same(el['value'], g) : same(el, g);
      if (!isObject(el)) return false;
      if (g['value'] !== undefined) return same(el['value'], g['value']);
      return Object.entries(g).every(([k, v]) => same(el[keyLike(el, k)], v));
    });
  const kept = (document[key] as unknown[]).filter((el) => !matches(el));
  const { [key]: _removed, ...rest } = document;
  return kept.length ? { ...rest, [key]: kept } : rest;
}

function translatePatchError(err: unknown): Error {
  const message = err instanceof Error ? err.message : 'The PATCH could not be applied.';
  if (err instanceof PatchLibraryError) {
    if (err.scimCode === 'noTarget') return noTarget(message);
    if (/path|invalid patch query/i.test(message)) return invalidPath(message);
    if (/value/i.test(message)) return invalidValue(message);
    return invalidSyntax(message);
  }
  return invalidValue(`The PATCH could not be applied: ${message}`);
}
