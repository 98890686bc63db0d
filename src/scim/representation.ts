import { invalidValue } from './errors.js';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, resolvePath } from './user-schema.js';

/** What a stored account looks like to this module (the store's row, narrowed to what a User needs). */
export interface StoredUser {
  id: string;
  resource: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const etagOf = (version: number): string => `W/"${version}"`;

/** The SCIM User as returned to clients (RFC 7643 §3.1 meta; `location` absolute). */
export function renderUser(user: StoredUser, usersUrl: string): Record<string, unknown> {
  const { schemas, ...rest } = user.resource;
  return {
    schemas: Array.isArray(schemas) ? schemas : [CORE_USER_SCHEMA],
    id: user.id,
    ...rest,
    meta: {
      resourceType: 'User',
      created: new Date(user.created_at).toISOString(),
      lastModified: new Date(user.updated_at).toISOString(),
      location: `${usersUrl}/${user.id}`,
      version: etagOf(user.version),
    },
  };
}

/** Which attributes a read returns (RFC 7644 §3.4.2.5); `id` and `schemas` are always returned. */
export interface Projection {
  attributes: string[] | undefined;
  excluded: string[] | undefined;
}

const splitList = (value: string | undefined, name: string): string[] | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const paths = value.split(',').map((p) => p.trim()).filter(Boolean);
  return paths.map((p) => {
    const resolved = resolvePath(p);
    if (!resolved) throw invalidValue(`"${name}" names an unknown attribute "${p}".`);
    return resolved.canonical;
  });
};

export function parseProjection(query: { attributes?: string | undefined; excludedAttributes?: string | undefined }): Projection {
  return {
    attributes: splitList(query.attributes, 'attributes'),
    excluded: splitList(query.excludedAttributes, 'excludedAttributes'),
  };
}

/** Splits a canonical path into the container key (core or extension) and the attribute/sub names. */
function locate(path: string): { ext: string | undefined; attr: string; sub: string | undefined } {
  const ext = path.startsWith(`${ENTERPRISE_USER_SCHEMA}:`) ? ENTERPRISE_USER_SCHEMA : undefined;
  const local = ext ? path.slice(ext.length + 1) : path;
  const [attr = '', sub] = local.split('.');
  return { ext, attr, sub };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, path: string): void {
  const { ext, attr, sub } = locate(path);
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

function removePath(resource: Record<string, unknown>, path: string): void {
  const { ext, attr, sub } = locate(path);
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

export function project(resource: Record<string, unknown>, projection: Projection): Record<string, unknown> {
  if (projection.attributes) {
    const out: Record<string, unknown> = { schemas: resource['schemas'], id: resource['id'] };
    for (const path of projection.attributes) copyPath(resource, out, path);
    return out;
  }
  if (projection.excluded) {
    const out = structuredClone(resource);
    for (const path of projection.excluded) removePath(out, path);
    return out;
  }
  return resource;
}
