import { invalidValue } from './errors.js';
import { roleRequested, withRole, withoutRole } from './nable-extension.js';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, resolvePath, type ResolvedPath } from './user-schema.js';

/** What a stored account looks like to this module (the store's row, narrowed to what a User needs). */
export interface StoredUser {
  id: string;
  resource: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  /** The effective portal role, shown in the N-able extension when asked for (src/scim/nable-extension.ts). */
  role?: string;
}

export const etagOf = (version: number): string => `W/"${version}"`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The manager's id when it can name an account here (ids are UUIDs), for the displayName lookup. */
export function managerIdOf(resource: Record<string, unknown>): string | undefined {
  const enterprise = resource[ENTERPRISE_USER_SCHEMA];
  const manager = isObject(enterprise) ? enterprise['manager'] : undefined;
  const id = isObject(manager) ? manager['value'] : undefined;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : undefined;
}

/** manager.displayName is readOnly (RFC 7643 §4.3): filled from the manager's account when there is one. */
function withManagerName(resource: Record<string, unknown>, managerNames: ReadonlyMap<string, string>): Record<string, unknown> {
  const id = managerIdOf(resource);
  const name = id === undefined ? undefined : managerNames.get(id);
  if (name === undefined) return resource;
  const enterprise = resource[ENTERPRISE_USER_SCHEMA] as Record<string, unknown>;
  const manager = enterprise['manager'] as Record<string, unknown>;
  return { ...resource, [ENTERPRISE_USER_SCHEMA]: { ...enterprise, manager: { ...manager, displayName: name } } };
}

/** A group the user is in, as its readOnly `groups` attribute lists it (RFC 7643 §4.1.2). */
export interface UserGroup {
  id: string;
  displayName: string;
}

/**
 * The SCIM User as returned to clients (RFC 7643 §3.1 meta; `location` absolute). `groups` is readOnly and
 * comes from the membership rows, never from the stored resource.
 */
export function renderUser(
  user: StoredUser,
  usersUrl: string,
  managerNames: ReadonlyMap<string, string> = new Map(),
  groups: { list: readonly UserGroup[]; groupsUrl: string } | undefined = undefined,
): Record<string, unknown> {
  const { schemas, groups: _stored, ...rest } = withManagerName(user.resource, managerNames);
  const rendered = {
    schemas: Array.isArray(schemas) ? schemas : [CORE_USER_SCHEMA],
    id: user.id,
    ...rest,
    ...(groups && groups.list.length > 0
      ? { groups: groups.list.map((g) => ({ value: g.id, $ref: `${groups.groupsUrl}/${g.id}`, display: g.displayName, type: 'direct' })) }
      : {}),
    meta: {
      resourceType: 'User',
      created: new Date(user.created_at).toISOString(),
      lastModified: new Date(user.updated_at).toISOString(),
      location: `${usersUrl}/${user.id}`,
      version: etagOf(user.version),
    },
  };
  return user.role === undefined ? rendered : withRole(rendered, user.role);
}

/** Which attributes a read returns (RFC 7644 §3.4.2.5); `id` and `schemas` are always returned. */
export interface Projection {
  attributes: string[] | undefined;
  excluded: string[] | undefined;
}

/**
 * Bounds on `attributes`/`excludedAttributes`: the User schema has under 100 attribute paths, so a longer list
 * mostly repeats names; refusing it keeps the parse work of one request small (README, "Limits").
 */
export const MAX_PROJECTION_ATTRIBUTES = 200;
/** Longer than any attribute path of the schema (the enterprise URN plus `manager.displayName`). */
export const MAX_ATTRIBUTE_NAME_LENGTH = 256;

type Resolve = (path: string) => ResolvedPath | undefined;

const splitList = (value: string | undefined, name: string, resolve: Resolve): string[] | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const canonical = new Set<string>();
  let named = 0;
  for (let start = 0; start <= value.length; ) {
    const comma = value.indexOf(',', start);
    const end = comma < 0 ? value.length : comma;
    const p = value.slice(start, end).trim();
    start = end + 1;
    if (p === '') continue;
    // invalidValue: the parameter's value is not one this server accepts (RFC 7644 §3.12), as for an unknown name.
    if (++named > MAX_PROJECTION_ATTRIBUTES) throw invalidValue(`"${name}" may name at most ${MAX_PROJECTION_ATTRIBUTES} attributes.`);
    if (p.length > MAX_ATTRIBUTE_NAME_LENGTH) throw invalidValue(`"${name}" names an attribute longer than ${MAX_ATTRIBUTE_NAME_LENGTH} characters.`);
    const resolved = resolve(p);
    if (!resolved) throw invalidValue(`"${name}" names an unknown attribute "${p}".`);
    canonical.add(resolved.canonical);
  }
  return [...canonical];
};

/** Reads `attributes`/`excludedAttributes`: names resolved to canonical paths, duplicates removed, the list capped. */
export function parseProjection(query: { attributes?: string | undefined; excludedAttributes?: string | undefined }, resolve: Resolve = resolvePath): Projection {
  return {
    attributes: splitList(query.attributes, 'attributes', resolve),
    excluded: splitList(query.excludedAttributes, 'excludedAttributes', resolve),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Located {
  ext: string | undefined;
  attr: string;
  sub: string | undefined;
}

/**
 * Splits a canonical path, once per request, into the container key (core or extension) and the attribute/sub
 * names. A custom extension's URN and names are matched to each resource's stored keys ignoring case (RFC 7644
 * §3.10), so its locator reads the resource; the schema's own paths are fixed.
 */
function locator(path: string): (resource: Record<string, unknown>) => Located {
  const custom = path.startsWith(`${ENTERPRISE_USER_SCHEMA}:`) ? undefined : resolvePath(path);
  if (custom?.custom) {
    const { schema, attribute, sub } = custom;
    return (resource) => {
      const ext = storedKey(resource, schema);
      const container = resource[ext];
      const attr = storedKey(container, attribute.name);
      const value = isObject(container) ? container[attr] : undefined;
      return { ext, attr, sub: sub ? storedKey(value, sub.name) : undefined };
    };
  }
  const ext = path.startsWith(`${ENTERPRISE_USER_SCHEMA}:`) ? ENTERPRISE_USER_SCHEMA : undefined;
  const local = ext ? path.slice(ext.length + 1) : path;
  const [attr = '', sub] = local.split('.');
  const fixed: Located = { ext, attr, sub };
  return () => fixed;
}

const storedKey = (container: unknown, name: string): string => {
  const lower = name.toLowerCase();
  return (isObject(container) ? Object.keys(container).find((k) => k.toLowerCase() === lower) : undefined) ?? name;
};

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, { ext, attr, sub }: Located): void {
  const source = ext ? from[ext] : from;
  if (!isObject(source) || source[attr] === undefined) return;
  let target = to;
  if (ext) {
    target = isObject(to[ext]) ? to[ext] : {};
    to[ext] = target;
  }
  const value = source[attr];
  if (sub === undefined) {
    target[attr] = value;
  } else if (Array.isArray(value)) {
    const existing = Array.isArray(target[attr]) ? (target[attr] as unknown[]) : value.map(() => ({}));
    target[attr] = value.map((el, i) => ({ ...(existing[i] as object), ...(isObject(el) && el[sub] !== undefined ? { [sub]: el[sub] } : {}) }));
  } else if (isObject(value) && value[sub] !== undefined) {
    target[attr] = { ...(isObject(target[attr]) ? target[attr] : {}), [sub]: value[sub] };
  }
}

function removePath(resource: Record<string, unknown>, { ext, attr, sub }: Located): void {
  if (attr === 'id' && !ext) return; // returned "always" (RFC 7643 §4.1)
  const container = ext ? resource[ext] : resource;
  if (!isObject(container)) return;
  if (sub === undefined) {
    delete container[attr];
  } else if (Array.isArray(container[attr])) {
    container[attr] = (container[attr] as unknown[]).map((el) => (isObject(el) ? Object.fromEntries(Object.entries(el).filter(([k]) => k !== sub)) : el));
  } else if (isObject(container[attr])) {
    const copy = { ...container[attr] };
    delete copy[sub];
    container[attr] = copy;
  }
}

/** A projection compiled once per request and applied to each resource of the answer. */
export type CompiledProjection = (resource: Record<string, unknown>) => Record<string, unknown>;

/**
 * Compiles `attributes` (or, without it, `excludedAttributes`) into one function: the paths are located once
 * and duplicates dropped, so a list answer costs one pass per resource over at most the schema's paths.
 */
export function compileProjection(attributes: readonly string[] | undefined, excluded: readonly string[] | undefined): CompiledProjection {
  const shape = compileDefaultProjection(attributes, excluded);
  // The role is `returned: "request"` (RFC 7643 §2.4): only `attributes` naming it keeps it.
  return roleRequested(attributes) ? shape : (resource) => withoutRole(shape(resource));
}

function compileDefaultProjection(attributes: readonly string[] | undefined, excluded: readonly string[] | undefined): CompiledProjection {
  if (attributes) {
    const paths = [...new Set(attributes)].map(locator);
    return (resource) => {
      const out: Record<string, unknown> = { schemas: resource['schemas'], id: resource['id'] };
      for (const locate of paths) copyPath(resource, out, locate(resource));
      return out;
    };
  }
  if (excluded) {
    const paths = [...new Set(excluded)].map(locator);
    return (resource) => {
      const out = structuredClone(resource);
      for (const locate of paths) removePath(out, locate(out));
      return out;
    };
  }
  return (resource) => resource;
}

export function project(resource: Record<string, unknown>, projection: Projection): Record<string, unknown> {
  return compileProjection(projection.attributes, projection.excluded)(resource);
}
