/**
 * The one description of the SCIM User (RFC 7643 §4.1, §4.3 enterprise extension) this server stores: each
 * attribute's characteristics drive validation, PATCH path checks, filter and sort translation, projection
 * (`attributes`/`excludedAttributes`) and the /Schemas discovery document.
 */
export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

/** Where a filterable/sortable attribute lives in the accounts table. */
export type Storage =
  | { kind: 'column'; column: 'id' | 'user_name' | 'external_id' | 'given_name' | 'family_name' | 'display_name' | 'email' | 'active' | 'created_at' | 'updated_at' }
  /** An element field of a multi-valued attribute kept in the jsonb resource (e.g. emails.value). */
  | { kind: 'elements'; array: string; field: string }
  /** A single-valued attribute kept in the jsonb resource, by its keys (e.g. [enterprise URN, 'manager', 'value']). */
  | { kind: 'document'; path: string[] };

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
  storage?: Storage;
}

type Opts = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;
export const attr = (name: string, type: AttributeType, description: string, o: Opts = {}): AttributeDef => ({
  name,
  type,
  description,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...o,
});

const multiValuedElements = (array: string, typeValues: string[], valueType: AttributeType = 'string'): AttributeDef[] => [
  attr('value', valueType, `The ${array} value.`, { storage: { kind: 'elements', array, field: 'value' } }),
  attr('display', 'string', 'A human-readable name, primarily used for display purposes.', { storage: { kind: 'elements', array, field: 'display' } }),
  attr('type', 'string', 'A label indicating the function of the value.', { canonicalValues: typeValues, storage: { kind: 'elements', array, field: 'type' } }),
  attr('primary', 'boolean', 'Indicates the primary or preferred value.', { storage: { kind: 'elements', array, field: 'primary' } }),
];

export const CORE_ATTRIBUTES: AttributeDef[] = [
  attr('id', 'string', 'Unique identifier assigned by the service provider.', {
    caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server', storage: { kind: 'column', column: 'id' },
  }),
  attr('externalId', 'string', 'Identifier of the user in the provisioning client (Entra objectId).', {
    caseExact: true, storage: { kind: 'column', column: 'external_id' },
  }),
  attr('userName', 'string', 'Unique login of the N-able portal account.', {
    required: true, uniqueness: 'server', storage: { kind: 'column', column: 'user_name' },
  }),
  attr('name', 'complex', 'The components of the user\'s name.', {
    required: true,
    subAttributes: [
      attr('formatted', 'string', 'The full name, formatted for display.'),
      attr('familyName', 'string', 'Last name of the portal account.', { required: true, storage: { kind: 'column', column: 'family_name' } }),
      attr('givenName', 'string', 'First name of the portal account.', { required: true, storage: { kind: 'column', column: 'given_name' } }),
      attr('middleName', 'string', 'Middle name(s).'),
      attr('honorificPrefix', 'string', 'Honorific prefix, e.g. "Ms.".'),
      attr('honorificSuffix', 'string', 'Honorific suffix, e.g. "III".'),
    ],
  }),
  attr('displayName', 'string', 'Name of the user, suitable for display.', { storage: { kind: 'column', column: 'display_name' } }),
  attr('nickName', 'string', 'Casual name of the user.'),
  attr('profileUrl', 'reference', 'URL of the user\'s online profile.', { referenceTypes: ['external'] }),
  attr('title', 'string', 'The user\'s title, e.g. "Vice President".'),
  attr('userType', 'string', 'Relationship between the organisation and the user.'),
  attr('preferredLanguage', 'string', 'Preferred written or spoken language.'),
  attr('locale', 'string', 'Default location for localisation.'),
  attr('timezone', 'string', 'Time zone in the IANA format.'),
  attr('active', 'boolean', 'Whether the portal account is enabled; false disables it (Entra\'s soft delete).', {
    required: true, storage: { kind: 'column', column: 'active' },
  }),
  attr('password', 'string', 'Never stored nor returned.', { mutability: 'writeOnly', returned: 'never', caseExact: true }),
  attr('emails', 'complex', 'Email addresses; the primary work email is the portal account\'s email.', {
    multiValued: true, subAttributes: multiValuedElements('emails', ['work', 'home', 'other']),
  }),
  attr('phoneNumbers', 'complex', 'Phone numbers.', { multiValued: true, subAttributes: multiValuedElements('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']) }),
  attr('ims', 'complex', 'Instant messaging addresses.', { multiValued: true, subAttributes: multiValuedElements('ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']) }),
  attr('photos', 'complex', 'URLs of photos of the user.', { multiValued: true, subAttributes: multiValuedElements('photos', ['photo', 'thumbnail'], 'reference') }),
  attr('addresses', 'complex', 'Physical mailing addresses.', {
    multiValued: true,
    subAttributes: [
      attr('formatted', 'string', 'The full mailing address.'),
      attr('streetAddress', 'string', 'Street address.'),
      attr('locality', 'string', 'City or locality.'),
      attr('region', 'string', 'State or region.'),
      attr('postalCode', 'string', 'Zip or postal code.'),
      attr('country', 'string', 'Country (ISO 3166-1 alpha-2).'),
      attr('type', 'string', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
      attr('primary', 'boolean', 'The primary address.'),
    ],
  }),
  attr('groups', 'complex', 'Groups the user belongs to; readOnly, changed through /Groups members.', {
    multiValued: true, mutability: 'readOnly',
    subAttributes: [
      attr('value', 'string', 'Group id.', { mutability: 'readOnly' }),
      attr('$ref', 'reference', 'Group URI.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
      attr('display', 'string', 'Group name.', { mutability: 'readOnly' }),
      attr('type', 'string', 'direct or indirect.', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
    ],
  }),
  attr('entitlements', 'complex', 'Entitlements.', { multiValued: true, subAttributes: multiValuedElements('entitlements', []) }),
  attr('roles', 'complex', 'Roles.', { multiValued: true, subAttributes: multiValuedElements('roles', []) }),
  attr('x509Certificates', 'complex', 'Certificates.', { multiValued: true, subAttributes: multiValuedElements('x509Certificates', []) }),
];

export const ENTERPRISE_ATTRIBUTES: AttributeDef[] = [
  attr('employeeNumber', 'string', 'Employee number.'),
  attr('costCenter', 'string', 'Cost center.'),
  attr('organization', 'string', 'Organisation.'),
  attr('division', 'string', 'Division.'),
  attr('department', 'string', 'Department.'),
  attr('manager', 'complex', 'The user\'s manager.', {
    subAttributes: [
      attr('value', 'string', 'The manager\'s id.', { caseExact: true }),
      attr('$ref', 'reference', 'URI of the manager.', { referenceTypes: ['User'] }),
      attr('displayName', 'string', 'Manager\'s display name.', { mutability: 'readOnly' }),
    ],
  }),
];

/** Server-assigned metadata (RFC 7643 §3.1), filterable by created/lastModified. */
export const META_ATTRIBUTE: AttributeDef = attr('meta', 'complex', 'Resource metadata.', {
  mutability: 'readOnly',
  subAttributes: [
    attr('resourceType', 'string', 'Always "User".', { mutability: 'readOnly', caseExact: true }),
    attr('created', 'dateTime', 'When the account was created.', { mutability: 'readOnly', storage: { kind: 'column', column: 'created_at' } }),
    attr('lastModified', 'dateTime', 'When the account last changed.', { mutability: 'readOnly', storage: { kind: 'column', column: 'updated_at' } }),
    attr('location', 'reference', 'URI of the resource.', { mutability: 'readOnly', caseExact: true }),
    attr('version', 'string', 'Weak ETag of the resource.', { mutability: 'readOnly', caseExact: true }),
  ],
});

/**
 * Entra's custom extension attributes (*Customize application attributes*; the SCIM tutorial's
 * `urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag`): any schema of this shape other
 * than the enterprise one. The server cannot know their attributes in advance, so it keeps them as sent.
 */
const CUSTOM_EXTENSION_PATH = /^(urn:ietf:params:scim:schemas:extension:[^:]+:2\.0:User)(?::(.*))?$/i;

/** True for the URN of a custom User extension (not the enterprise one). */
export function isCustomExtension(key: string): boolean {
  const match = CUSTOM_EXTENSION_PATH.exec(key);
  return match !== null && match[2] === undefined && key.toLowerCase() !== ENTERPRISE_USER_SCHEMA.toLowerCase();
}

/** A resolved attribute path: which schema it belongs to, its canonical spelling and definitions. */
export interface ResolvedPath {
  /** The core or enterprise URN, or a custom extension's URN as the client spelled it. */
  schema: string;
  /** Canonical top-level name (e.g. `name`, `emails`, `manager`). */
  attribute: AttributeDef;
  sub: AttributeDef | undefined;
  /** Canonical dotted path as stored in the resource, e.g. `name.givenName` or `<enterprise URN>:manager.value`. */
  canonical: string;
  /**
   * True for an attribute of a custom extension. Its definition is a stand-in: a readWrite, single-valued,
   * caseExact=false string (RFC 7643 §2.2 defaults), with a sub-attribute of the same kind when one is named.
   * What is stored is kept as sent, and filters compare by the JSON type they find (string, boolean, number).
   */
  custom: boolean;
}

const find = (defs: AttributeDef[] | undefined, name: string): AttributeDef | undefined => {
  const lower = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
};

const ATTRIBUTE_NAME = /^[A-Za-z$][\w$-]*$/;
/** A name a plain object already answers to (`constructor`, `toString`…) would let a PATCH reach into built-ins. */
const isAttributeName = (name: string | undefined): name is string => name !== undefined && ATTRIBUTE_NAME.test(name) && !(name in Object.prototype);

function resolveCustom(urn: string, rest: string): ResolvedPath | undefined {
  const [head, subName, ...more] = rest.split('.');
  if (!isAttributeName(head) || more.length > 0 || (subName !== undefined && !isAttributeName(subName))) return undefined;
  const sub = subName === undefined ? undefined : attr(subName, 'string', 'A sub-attribute of a custom extension attribute.');
  const attribute = attr(head, sub ? 'complex' : 'string', 'An attribute of a custom extension.', sub ? { subAttributes: [sub] } : {});
  return { schema: urn, attribute, sub, canonical: `${urn}:${sub ? `${head}.${subName ?? ''}` : head}`, custom: true };
}

/**
 * Resolves `attr`, `attr.sub`, `<core URN>:attr.sub`, `<enterprise URN>:attr.sub` or `<custom extension
 * URN>:attr.sub`, attribute names case-insensitively (RFC 7644 §3.10). `meta` resolves too, so callers can
 * refuse it as readOnly.
 */
export function resolvePath(path: string): ResolvedPath | undefined {
  let schema: typeof CORE_USER_SCHEMA | typeof ENTERPRISE_USER_SCHEMA = CORE_USER_SCHEMA;
  let rest = path;
  const lower = path.toLowerCase();
  if (lower.startsWith(`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:`)) {
    schema = ENTERPRISE_USER_SCHEMA;
    rest = path.slice(ENTERPRISE_USER_SCHEMA.length + 1);
  } else if (lower.startsWith(`${CORE_USER_SCHEMA.toLowerCase()}:`)) {
    rest = path.slice(CORE_USER_SCHEMA.length + 1);
  } else {
    const custom = CUSTOM_EXTENSION_PATH.exec(path);
    if (custom?.[1] && custom[2] !== undefined) return resolveCustom(custom[1], custom[2]);
  }
  // At most three parts: a third already makes the path invalid, and a path of a million dots costs nothing.
  const [head, subName, ...more] = rest.split('.', 3);
  if (!head || more.length > 0) return undefined;
  const defs = schema === CORE_USER_SCHEMA ? [...CORE_ATTRIBUTES, META_ATTRIBUTE] : ENTERPRISE_ATTRIBUTES;
  let attribute = find(defs, head);
  // Entra sends `manager` without its URN; the core schema has no attribute of that name, so it is unambiguous.
  if (!attribute && schema === CORE_USER_SCHEMA && rest === path) {
    attribute = find(ENTERPRISE_ATTRIBUTES, head);
    if (attribute) schema = ENTERPRISE_USER_SCHEMA;
  }
  if (!attribute) return undefined;
  let sub: AttributeDef | undefined;
  if (subName !== undefined) {
    sub = find(attribute.subAttributes, subName);
    if (!sub) return undefined;
  }
  const local = sub ? `${attribute.name}.${sub.name}` : attribute.name;
  return { schema, attribute, sub, canonical: schema === CORE_USER_SCHEMA ? local : `${ENTERPRISE_USER_SCHEMA}:${local}`, custom: false };
}

/** The keys of the value at a resolved path in the stored resource (the extension URN first, for extensions). */
export function documentKeys(p: ResolvedPath): string[] {
  const local = [p.attribute.name, ...(p.sub ? [p.sub.name] : [])];
  return p.schema === CORE_USER_SCHEMA ? local : [p.schema, ...local];
}

/** The definition a value at this path must satisfy. */
export const leafOf = (p: ResolvedPath): AttributeDef => p.sub ?? p.attribute;

/** True when the path (or its parent) may not be written by a client (RFC 7643 §2.2 mutability). */
export const isReadOnly = (p: ResolvedPath): boolean =>
  p.attribute.mutability === 'readOnly' || p.sub?.mutability === 'readOnly';
