import { attr, type AttributeDef, type ResolvedPath } from './user-schema.js';

/**
 * The one description of the SCIM Group (RFC 7643 §4.2) this server stores, beside user-schema.ts and in its
 * terms: it drives validation, PATCH paths, filters, sorting, projection and the /Schemas document. Every
 * attribute but `members` is a column of `groups`; members are rows of `group_members`.
 */
export const CORE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export const GROUP_ATTRIBUTES: AttributeDef[] = [
  attr('id', 'string', 'Unique identifier assigned by the service provider.', {
    caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server', storage: { kind: 'column', column: 'id' },
  }),
  attr('externalId', 'string', 'Identifier of the group in the provisioning client (Entra objectId).', {
    caseExact: true, storage: { kind: 'column', column: 'external_id' },
  }),
  attr('displayName', 'string', 'Name of the group, unique in the tenant ignoring case.', {
    required: true, uniqueness: 'server', storage: { kind: 'column', column: 'display_name' },
  }),
  attr('members', 'complex', 'Users of the tenant in the group; stored one row per member.', {
    multiValued: true,
    returned: 'default',
    subAttributes: [
      attr('value', 'string', 'The id of a User of the tenant.', { mutability: 'immutable', caseExact: false }),
      attr('$ref', 'reference', 'URI of the member.', { mutability: 'immutable', referenceTypes: ['User'] }),
      attr('display', 'string', 'The member\'s display name.', { mutability: 'readOnly' }),
      attr('type', 'string', 'The kind of member; only User is accepted.', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
];

export const GROUP_META_ATTRIBUTE: AttributeDef = attr('meta', 'complex', 'Resource metadata.', {
  mutability: 'readOnly',
  subAttributes: [
    attr('resourceType', 'string', 'Always "Group".', { mutability: 'readOnly', caseExact: true }),
    attr('created', 'dateTime', 'When the group was created.', { mutability: 'readOnly', storage: { kind: 'column', column: 'created_at' } }),
    attr('lastModified', 'dateTime', 'When the group or its membership last changed.', { mutability: 'readOnly', storage: { kind: 'column', column: 'updated_at' } }),
    attr('location', 'reference', 'URI of the resource.', { mutability: 'readOnly', caseExact: true }),
    attr('version', 'string', 'Weak ETag of the resource.', { mutability: 'readOnly', caseExact: true }),
  ],
});

const find = (defs: AttributeDef[] | undefined, name: string): AttributeDef | undefined => {
  const lower = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
};

/** Resolves `attr`, `attr.sub` or `<Group URN>:attr.sub`, names case-insensitively (RFC 7644 §3.10). */
export function resolveGroupPath(path: string): ResolvedPath | undefined {
  const rest = path.toLowerCase().startsWith(`${CORE_GROUP_SCHEMA.toLowerCase()}:`) ? path.slice(CORE_GROUP_SCHEMA.length + 1) : path;
  const [head, subName, ...more] = rest.split('.', 3);
  if (!head || more.length > 0) return undefined;
  const attribute = find([...GROUP_ATTRIBUTES, GROUP_META_ATTRIBUTE], head);
  if (!attribute) return undefined;
  const sub = subName === undefined ? undefined : find(attribute.subAttributes, subName);
  if (subName !== undefined && !sub) return undefined;
  return { schema: CORE_GROUP_SCHEMA, attribute, sub, canonical: sub ? `${attribute.name}.${sub.name}` : attribute.name, custom: false };
}
