import { scimPatch, ScimError as PatchLibraryError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { invalidPath, invalidSyntax, invalidValue, noTarget } from './errors.js';
import type { NormalisedOperation } from './entra-compat.js';
import type { UserDocument } from './user-resource.js';

/**
 * Applies normalised PATCH operations to a stored document with scim-patch (RFC 7644 §3.5.2). Both options
 * are passed: `mutateDocument: false` alone switches `treatMissingAsAdd` off, and Entra replaces
 * `emails[type eq "work"].value` expecting the element to be created when none matches.
 */
export function applyPatch(document: UserDocument, operations: NormalisedOperation[]): UserDocument {
  const meta = { created: new Date(0), lastModified: new Date(0) };
  const resource = { ...document, meta } as unknown as ScimResource;
  try {
    const patched = scimPatch(resource, operations as ScimPatchOperation[], { mutateDocument: false, treatMissingAsAdd: true });
    const { meta: _meta, ...rest } = patched as unknown as Record<string, unknown>;
    return rest;
  } catch (err) {
    throw translatePatchError(err);
  }
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
