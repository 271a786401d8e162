import { type DescEnum, type DescField, type DescMessage, type DescMethod, ScalarType } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { SchemaElement } from "./reflection-schema.js";

/** Packages whose types are shown by name only: everyone knows them, and they are many. */
const WELL_KNOWN_PREFIX = "google.protobuf.";

/**
 * A service, method, message or enum as proto-like text, with fully-qualified names:
 * what `hello describe` prints. Fields whose JSON name differs from the proto name say so,
 * since `hello call` reads and prints JSON.
 *
 * @example
 * formatSchema(HelloRequestSchema);
 * // message hello.v1.HelloRequest {
 * //   string greeting = 1;
 * //   uint32 reply_count = 2; // JSON: replyCount
 * //   …
 */
export function formatSchema(element: SchemaElement): string {
  switch (element.kind) {
    case "service":
      return [`service ${element.typeName} {`, ...element.methods.map((m) => `  ${formatRpc(m)}`), "}"].join("\n");
    case "rpc":
      return `// ${element.parent.typeName}/${element.name}\n${formatRpc(element)}`;
    case "message":
      return formatMessage(element);
    case "enum":
      return [`enum ${element.typeName} {`, ...element.values.map((v) => `  ${v.name} = ${v.number};`), "}"].join("\n");
  }
}

/**
 * The messages and enums `element` uses — request and response types, the types of their
 * fields, and so on — in the order they are first met, the element itself first if it is
 * a message or enum. Well-known types (`google.protobuf.*`) are left out.
 */
export function typesUsedBy(element: SchemaElement): (DescMessage | DescEnum)[] {
  const found = new Map<string, DescMessage | DescEnum>();
  const queue: (DescMessage | DescEnum)[] = [];
  const add = (type: DescMessage | DescEnum | undefined) => {
    if (type === undefined || found.has(type.typeName) || type.typeName.startsWith(WELL_KNOWN_PREFIX)) return;
    found.set(type.typeName, type);
    queue.push(type);
  };
  const methods = element.kind === "service" ? element.methods : element.kind === "rpc" ? [element] : [];
  for (const method of methods) {
    add(method.input);
    add(method.output);
  }
  if (element.kind === "message" || element.kind === "enum") add(element);
  for (let type = queue.shift(); type !== undefined; type = queue.shift()) {
    if (type.kind !== "message") continue;
    for (const field of type.fields) add(field.message ?? field.enum);
  }
  return [...found.values()];
}

function formatRpc(method: DescMethod): string {
  const input = `${method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming" ? "stream " : ""}${method.input.typeName}`;
  const output = `${method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming" ? "stream " : ""}${method.output.typeName}`;
  const idempotency =
    method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN
      ? ";"
      : ` { option idempotency_level = ${MethodOptions_IdempotencyLevel[method.idempotency]}; }`;
  return `rpc ${method.name}(${input}) returns (${output})${idempotency}`;
}

function formatMessage(message: DescMessage): string {
  const lines = [`message ${message.typeName} {`];
  for (const member of message.members) {
    if (member.kind === "field") {
      lines.push(`  ${formatField(member)}`);
    } else {
      lines.push(`  oneof ${member.name} {`, ...member.fields.map((f) => `    ${formatField(f)}`), "  }");
    }
  }
  lines.push("}");
  return lines.join("\n");
}

function formatField(field: DescField): string {
  let type: string;
  switch (field.fieldKind) {
    case "scalar":
      type = scalarName(field.scalar);
      break;
    case "enum":
      type = field.enum.typeName;
      break;
    case "message":
      type = field.message.typeName;
      break;
    case "list":
      type = `repeated ${field.listKind === "scalar" ? scalarName(field.scalar) : field.listKind === "enum" ? field.enum.typeName : field.message.typeName}`;
      break;
    case "map":
      type = `map<${scalarName(field.mapKey)}, ${field.mapKind === "scalar" ? scalarName(field.scalar) : field.mapKind === "enum" ? field.enum.typeName : field.message.typeName}>`;
      break;
  }
  const label = field.proto.proto3Optional ? "optional " : field.proto.label === FieldDescriptorProto_Label.REQUIRED ? "required " : "";
  const deprecated = field.deprecated ? " [deprecated = true]" : "";
  const json = field.jsonName !== field.name ? ` // JSON: ${field.jsonName}` : "";
  return `${label}${type} ${field.name} = ${field.number}${deprecated};${json}`;
}

/** The proto keyword of a scalar type: `string`, `uint32`, … */
function scalarName(scalar: ScalarType): string {
  return (ScalarType[scalar] as string).toLowerCase();
}
