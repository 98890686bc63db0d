import { CORE_GROUP_SCHEMA, GROUP_ATTRIBUTES } from './group-schema.js';
import { CURSOR_TIMEOUT_SECONDS } from './cursor.js';
import { DEFAULT_COUNT, MAX_COUNT } from './list.js';
import { NABLE_ATTRIBUTES, NABLE_USER_SCHEMA } from './nable-extension.js';
import {
  CORE_ATTRIBUTES,
  CORE_USER_SCHEMA,
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  type AttributeDef,
} from './user-schema.js';

/** Discovery documents (RFC 7644 §4, RFC 7643 §5–7), built from the same schema the server enforces. */
const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export function serviceProviderConfig(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    // RFC 9865 §4: both ways of paging; index stays the default, as Entra pages by startIndex.
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: DEFAULT_COUNT,
      maxPageSize: MAX_COUNT,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'OAuth2 client-credentials access token, or the long-lived secret token, sent as Authorization: Bearer.',
        specUri: 'https://datatracker.ietf.org/doc/html/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function userResourceType(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'An N-able portal account',
    schema: CORE_USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }, { schema: NABLE_USER_SCHEMA, required: false }],
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
  };
}

export function groupResourceType(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'A group of portal accounts (members are users of the same tenant)',
    schema: CORE_GROUP_SCHEMA,
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
  };
}

function describe(def: AttributeDef): Record<string, unknown> {
  return {
    name: def.name,
    type: def.type,
    multiValued: def.multiValued,
    description: def.description,
    required: def.required,
    ...(def.type === 'string' || def.type === 'reference' ? { caseExact: def.caseExact } : {}),
    ...(def.canonicalValues?.length ? { canonicalValues: def.canonicalValues } : {}),
    ...(def.referenceTypes ? { referenceTypes: def.referenceTypes } : {}),
    mutability: def.mutability,
    returned: def.returned,
    uniqueness: def.uniqueness,
    ...(def.subAttributes ? { subAttributes: def.subAttributes.map(describe) } : {}),
  };
}

export function schemaDocuments(baseUrl: string): Record<string, unknown>[] {
  return [
    {
      schemas: [SCHEMA_SCHEMA],
      id: CORE_USER_SCHEMA,
      name: 'User',
      description: 'User Account',
      // `id` is common to every resource (RFC 7643 §3.1) and not listed among the schema's attributes.
      attributes: CORE_ATTRIBUTES.filter((a) => a.name !== 'id').map(describe),
      meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${CORE_USER_SCHEMA}` },
    },
    {
      schemas: [SCHEMA_SCHEMA],
      id: ENTERPRISE_USER_SCHEMA,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: ENTERPRISE_ATTRIBUTES.map(describe),
      meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${ENTERPRISE_USER_SCHEMA}` },
    },
    {
      schemas: [SCHEMA_SCHEMA],
      id: CORE_GROUP_SCHEMA,
      name: 'Group',
      description: 'Group',
      attributes: GROUP_ATTRIBUTES.filter((a) => a.name !== 'id').map(describe),
      meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${CORE_GROUP_SCHEMA}` },
    },
    {
      schemas: [SCHEMA_SCHEMA],
      id: NABLE_USER_SCHEMA,
      name: 'NableUser',
      description: 'What the N-able portal decides about the account (readOnly)',
      attributes: NABLE_ATTRIBUTES.map(describe),
      meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${NABLE_USER_SCHEMA}` },
    },
  ];
}

export const listResponse = (resources: unknown[], totalResults = resources.length, startIndex = 1): Record<string, unknown> => ({
  schemas: [LIST_RESPONSE_SCHEMA],
  totalResults,
  startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});

/**
 * A ListResponse (either kind above) whose Resources are already JSON text (src/scim/user-text.ts): spliced in as
 * they are, so a page of users is not parsed and serialised again. Resources is the envelope's last member.
 */
export function listResponseText(envelope: Record<string, unknown>, resources: readonly string[]): string {
  const { Resources: _resources, ...head } = envelope;
  const text = JSON.stringify(head);
  return `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"Resources":[${resources.join(',')}]}`;
}

/** An RFC 9865 cursor page: no startIndex; nextCursor on every page but the last, previousCursor on every page but the first. */
export const cursorListResponse = (resources: unknown[], nextCursor: string | undefined, previousCursor: string | undefined): Record<string, unknown> => ({
  schemas: [LIST_RESPONSE_SCHEMA],
  itemsPerPage: resources.length,
  ...(previousCursor === undefined ? {} : { previousCursor }),
  ...(nextCursor === undefined ? {} : { nextCursor }),
  Resources: resources,
});
