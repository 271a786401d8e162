import { type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

/** What a fully-qualified name in the index names. */
export type SymbolKind = "service" | "method" | "message" | "field" | "oneof" | "enum" | "enum value" | "extension";

/**
 * Everything server reflection can be asked about, built from the file descriptors that
 * protoc-gen-es embeds in generated code: the files of the served services and every file
 * they import, transitively.
 */
export interface ReflectionIndex {
  /** Fully-qualified names of the served services, sorted. */
  readonly serviceNames: readonly string[];
  /**
   * Every indexed file, by its import path (e.g. "google/protobuf/duration.proto"). Note that
   * protobuf-es's `DescFile.name` lacks the ".proto" suffix; the path is `file.proto.name`.
   */
  readonly files: ReadonlyMap<string, DescFile>;
  /** The file with this import path. */
  fileByName(name: string): DescFile | undefined;
  /**
   * The file that declares a fully-qualified name (a leading "." is allowed): a service,
   * method, message, field, oneof, enum, enum value or extension, nested ones included.
   */
  fileContainingSymbol(symbol: string): DescFile | undefined;
  /** What kind of element a fully-qualified name names. */
  kindOf(symbol: string): SymbolKind | undefined;
  /** The file that declares extension `number` of message `extendee`. */
  fileContainingExtension(extendee: string, number: number): DescFile | undefined;
  /**
   * The numbers of all known extensions of a message, ascending; undefined when the message
   * is unknown (an empty list when it is known but has no known extensions).
   */
  extensionNumbersOf(extendee: string): number[] | undefined;
  /**
   * The file first, then every file it imports, transitively (breadth-first, each once).
   */
  fileWithDependencies(file: DescFile): DescFile[];
  /** The file's serialized `google.protobuf.FileDescriptorProto`, computed once. */
  fileDescriptorBytes(file: DescFile): Uint8Array;
}

/**
 * Indexes the files of `services` and their imports for server reflection.
 *
 * The descriptors are the ones protoc-gen-es embeds (`file_hello_v1_hello` and friends).
 * protoc-gen-es strips `dependency` and default `json_name`s when embedding, and
 * `@bufbuild/protobuf` restores both when it loads the file, so `file.proto` is the file
 * as the compiler produced it (without source info). The one exception is
 * `google/protobuf/descriptor.proto`, which `@bufbuild/protobuf` bootstraps from a reduced
 * form: its file, field, and extension-range options and its reserved ranges and names are
 * missing. Every message, field, enum and extension range is there, so clients resolve
 * and encode everything; the integration tests compare all files with `buf build`.
 *
 * @example
 * const index = createReflectionIndex([HelloService]);
 * index.fileContainingSymbol("hello.v1.HelloRequest.greeting")?.proto.name; // "hello/v1/hello.proto"
 */
export function createReflectionIndex(services: readonly DescService[]): ReflectionIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, { file: DescFile; kind: SymbolKind }>();
  const extensions = new Map<string, Map<number, DescFile>>();
  const bytes = new WeakMap<DescFile, Uint8Array>();

  const addFile = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    indexFile(file);
    for (const dependency of file.dependencies) addFile(dependency);
  };

  const addSymbol = (name: string, file: DescFile, kind: SymbolKind) => {
    // First declaration wins; a valid set of files never declares a name twice.
    if (!symbols.has(name)) symbols.set(name, { file, kind });
  };

  const addExtension = (scope: string, field: FieldDescriptorProto, file: DescFile) => {
    addSymbol(scope + field.name, file, "extension");
    const extendee = stripDot(field.extendee);
    let numbers = extensions.get(extendee);
    if (numbers === undefined) {
      numbers = new Map();
      extensions.set(extendee, numbers);
    }
    numbers.set(field.number, file);
  };

  // Walks the FileDescriptorProto rather than protobuf-es's DescFile, which leaves out
  // synthetic map entry messages: reflection must resolve every name a client can see.
  const indexFile = (file: DescFile): void => {
    const proto = file.proto;
    const scope = proto.package === "" ? "" : `${proto.package}.`;
    for (const message of proto.messageType) indexMessage(scope, message, file);
    for (const enumType of proto.enumType) indexEnum(scope, enumType, file);
    for (const extension of proto.extension) addExtension(scope, extension, file);
    for (const service of proto.service) {
      const name = scope + service.name;
      addSymbol(name, file, "service");
      for (const method of service.method) addSymbol(`${name}.${method.name}`, file, "method");
    }
  };

  const indexMessage = (scope: string, message: DescriptorProto, file: DescFile): void => {
    const name = scope + message.name;
    addSymbol(name, file, "message");
    for (const field of message.field) addSymbol(`${name}.${field.name}`, file, "field");
    for (const oneof of message.oneofDecl) addSymbol(`${name}.${oneof.name}`, file, "oneof");
    for (const nested of message.nestedType) indexMessage(`${name}.`, nested, file);
    for (const enumType of message.enumType) indexEnum(`${name}.`, enumType, file);
    for (const extension of message.extension) addExtension(`${name}.`, extension, file);
  };

  const indexEnum = (scope: string, enumType: EnumDescriptorProto, file: DescFile): void => {
    addSymbol(scope + enumType.name, file, "enum");
    // Enum values are scoped like their enum, not inside it (C++ scoping rules).
    for (const value of enumType.value) addSymbol(scope + value.name, file, "enum value");
  };

  for (const service of services) addFile(service.file);

  const serviceNames = [...new Set(services.map((s) => s.typeName))].sort();

  return {
    serviceNames,
    files,
    fileByName: (name) => files.get(name),
    fileContainingSymbol: (symbol) => symbols.get(stripDot(symbol))?.file,
    kindOf: (symbol) => symbols.get(stripDot(symbol))?.kind,
    fileContainingExtension: (extendee, number) => extensions.get(stripDot(extendee))?.get(number),
    extensionNumbersOf(extendee) {
      const name = stripDot(extendee);
      if (symbols.get(name)?.kind !== "message") return undefined;
      return [...(extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    },
    fileWithDependencies(file) {
      const result: DescFile[] = [];
      const seen = new Set<string>();
      const queue = [file];
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (seen.has(next.proto.name)) continue;
        seen.add(next.proto.name);
        result.push(next);
        queue.push(...next.dependencies);
      }
      return result;
    },
    fileDescriptorBytes(file) {
      let encoded = bytes.get(file);
      if (encoded === undefined) {
        encoded = toBinary(FileDescriptorProtoSchema, file.proto);
        bytes.set(file, encoded);
      }
      return encoded;
    },
  };
}

function stripDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}
