import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
/** The project's openapi/ folder: two levels up under tsx (src/openapi), three once compiled (dist/src/openapi). */
export const openApiDocumentPath =
  [resolve(here, '..', '..', 'openapi'), resolve(here, '..', '..', '..', 'openapi')]
    .map((folder) => resolve(folder, 'portal-provisioning.yaml'))
    .find((file) => existsSync(file)) ?? resolve(here, '..', '..', 'openapi', 'portal-provisioning.yaml');

export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths: Record<string, Record<string, unknown>> };

/** Reads and parses the YAML document; a missing or broken file stops the start, it is part of the build. */
export function loadOpenApiDocument(path = openApiDocumentPath): OpenApiDocument {
  // Our own file: YAML anchors and merge keys (`<<`) share response sets; the alias cap guards untrusted YAML only.
  const parsed: unknown = parse(readFileSync(path, 'utf8'), { merge: true, maxAliasCount: -1 });
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { openapi?: unknown }).openapi !== 'string') {
    throw new Error(`${path} is not an OpenAPI document`);
  }
  return parsed as OpenApiDocument;
}

/** A path item, following a `$ref` to `#/components/pathItems/…` (OpenAPI 3.1 §4.8.9); with its JSON pointer. */
export function resolvePathItem(doc: OpenApiDocument, path: string): { item: Record<string, unknown>; pointer: string } | undefined {
  const item = doc.paths[path];
  if (!item) return undefined;
  const ref = item['$ref'];
  if (typeof ref !== 'string') return { item, pointer: `/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}` };
  const pointer = ref.replace(/^#/, '');
  let node: unknown = doc;
  for (const token of pointer.split('/').slice(1)) node = (node as Record<string, unknown> | undefined)?.[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (typeof node !== 'object' || node === null) throw new Error(`OpenAPI path ${path} refers to nothing at ${ref}`);
  return { item: node as Record<string, unknown>, pointer };
}
