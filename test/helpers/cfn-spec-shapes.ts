// The shape a value must have, read from the CloudFormation resource specification (the JSON format
// @aws-cdk/cfnspec ships: ResourceTypes and PropertyTypes whose properties carry PrimitiveType, Type,
// ItemType, PrimitiveItemType and, for union properties, PrimitiveTypes / Types / ItemTypes:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-resource-specification-format.html).
// Used by cfn-spec-check.ts.
import type { schema } from '@aws-cdk/cfnspec';

/** The fields of a spec property (or property type) this check reads. */
export interface SpecProperty {
  PrimitiveType?: string;
  Type?: string;
  ItemType?: string;
  PrimitiveItemType?: string;
  PrimitiveItemItemType?: string;
  PrimitiveTypes?: string[];
  Types?: string[];
  PrimitiveItemTypes?: string[];
  ItemTypes?: string[];
  InclusiveItemTypes?: string[];
  InclusivePrimitiveItemTypes?: string[];
  Required?: boolean;
  Properties?: Record<string, SpecProperty>;
}

export type Expected =
  | { kind: 'primitive'; type: string }
  | { kind: 'record'; name: string; properties: Record<string, SpecProperty> }
  | { kind: 'list'; item: Expected }
  | { kind: 'map'; item: Expected }
  | { kind: 'union'; options: Expected[] }
  | { kind: 'any' };

export const describeShape = (expected: Expected): string => {
  switch (expected.kind) {
    case 'primitive':
      return expected.type;
    case 'record':
      return expected.name;
    case 'list':
      return `a list of ${describeShape(expected.item)}`;
    case 'map':
      return `a map of ${describeShape(expected.item)}`;
    case 'union':
      return expected.options.map(describeShape).join(' or ');
    case 'any':
      return 'any value';
  }
};

const primitive = (type: string): Expected => ({ kind: 'primitive', type });

/** A property type by name: `<resource type>.<name>` first, then a shared one such as `Tag`. */
const namedType = (spec: schema.Specification, resourceType: string, name: string): Expected => {
  const fullName = `${resourceType}.${name}` in spec.PropertyTypes ? `${resourceType}.${name}` : name;
  const found = spec.PropertyTypes[fullName] as SpecProperty | undefined;
  // A type the specification names but does not define: nothing to check it against.
  if (found === undefined) return { kind: 'any' };
  if (found.Properties !== undefined) return { kind: 'record', name: fullName, properties: found.Properties };
  return found.PrimitiveType !== undefined || found.Type !== undefined
    ? expectedOf(spec, resourceType, found)
    : { kind: 'any' };
};

const unionOf = (options: Expected[]): Expected =>
  options.length === 1 ? (options[0] as Expected) : { kind: 'union', options };

const itemOf = (spec: schema.Specification, resourceType: string, property: SpecProperty): Expected => {
  if (property.PrimitiveItemType !== undefined) return primitive(property.PrimitiveItemType);
  if (property.ItemType === 'List' && property.PrimitiveItemItemType !== undefined) {
    return { kind: 'list', item: primitive(property.PrimitiveItemItemType) };
  }
  if (property.ItemType !== undefined) return namedType(spec, resourceType, property.ItemType);
  const options = [
    ...(property.PrimitiveItemTypes ?? []).map(primitive),
    ...(property.InclusivePrimitiveItemTypes ?? []).map(primitive),
    ...[...(property.ItemTypes ?? []), ...(property.InclusiveItemTypes ?? [])].map((name) =>
      namedType(spec, resourceType, name),
    ),
  ];
  return options.length > 0 ? unionOf(options) : { kind: 'any' };
};

export const expectedOf = (spec: schema.Specification, resourceType: string, property: SpecProperty): Expected => {
  if (property.PrimitiveType !== undefined) return primitive(property.PrimitiveType);
  if (property.Type === 'List' || property.Type === 'Tags') {
    return { kind: 'list', item: itemOf(spec, resourceType, property) };
  }
  if (property.Type === 'Map') return { kind: 'map', item: itemOf(spec, resourceType, property) };
  if (property.Type !== undefined) return namedType(spec, resourceType, property.Type);
  // Union properties: one of several scalar types, property types, or lists of them.
  const options = [
    ...(property.PrimitiveTypes ?? []).map(primitive),
    ...(property.Types ?? []).map((name) => namedType(spec, resourceType, name)),
  ];
  const hasItems = [
    property.PrimitiveItemTypes,
    property.ItemTypes,
    property.InclusiveItemTypes,
    property.InclusivePrimitiveItemTypes,
  ].some((list) => list !== undefined && list.length > 0);
  if (hasItems) options.push({ kind: 'list', item: itemOf(spec, resourceType, property) });
  return options.length > 0 ? unionOf(options) : { kind: 'any' };
};

/**
 * Whether a literal fits a primitive type. CloudFormation converts scalars where a template gives
 * another scalar type ('3' for an Integer, 3 for a String, 'true' for a Boolean), so those fit, as
 * in cfn-lint's default (non-strict) type checks.
 */
export const primitiveMatches = (type: string, value: unknown): boolean => {
  switch (type) {
    case 'String':
    case 'Timestamp':
      return ['string', 'number', 'boolean'].includes(typeof value);
    case 'Integer':
    case 'Long':
      return Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value));
    case 'Double':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      );
    case 'Boolean':
      return typeof value === 'boolean' || (typeof value === 'string' && /^(true|false)$/i.test(value));
    case 'Json':
      return typeof value === 'object' || typeof value === 'string';
    default:
      return true;
  }
};
