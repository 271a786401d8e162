import {
  create,
  createFileRegistry,
  type DescEnum,
  type DescMessage,
  type DescMethod,
  type DescService,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MethodTarget } from "./method-target.js";
import type { ServerReflection } from "./server-reflection.js";

/** A descriptor the server described, with the registry of its file and every import. */
export interface Resolved<T> {
  readonly desc: T;
  /** Every type the descriptor's files declare: for the JSON of `Any` fields, and more lookups. */
  readonly registry: FileRegistry;
}

/** What `hello describe` can show. */
export type SchemaElement = DescService | DescMethod | DescMessage | DescEnum;

/** The server's schema, read through server reflection when asked. */
export interface ReflectionSchema {
  /** The fully-qualified names of the services the server offers. */
  services(): Promise<string[]>;
  /** The service named `name`. NOT_FOUND, naming the services that exist, when it is unknown. */
  service(name: string): Promise<Resolved<DescService>>;
  /** The method `target` names. NOT_FOUND, naming what exists, when the service or method is unknown. */
  method(target: MethodTarget): Promise<Resolved<DescMethod>>;
  /**
   * The service, method (`Service.Method` or `Service/Method`), message or enum with this
   * fully-qualified name. NOT_FOUND, naming the services, when the server knows no such name.
   */
  element(name: string): Promise<Resolved<SchemaElement>>;
}

/**
 * Creates the schema of the server behind `reflection`: the file that declares a name is
 * asked for with file_containing_symbol, imports the server did not send along with
 * file_by_filename, and the files become protobuf-es descriptors through
 * `createFileRegistry`, so connect's `createClient`, `fromJson` and `toJson` work with them
 * as with generated code. Files are kept for the command's later questions.
 *
 * @example
 * const schema = createReflectionSchema(createServerReflection(clientOf, options));
 * const { desc: method, registry } = await schema.method({ service: "hello.v1.HelloService", method: "SayHello" });
 */
export function createReflectionSchema(reflection: ServerReflection): ReflectionSchema {
  const files = new Map<string, FileDescriptorProto>();
  let serviceNames: Promise<string[]> | undefined;
  const services = () => (serviceNames ??= reflection.listServices());

  /** The registry of the file declaring `symbol`, or undefined when the server knows no such symbol. */
  const registryOf = async (symbol: string): Promise<FileRegistry | undefined> => {
    let declaring: FileDescriptorProto[];
    try {
      declaring = await reflection.fileContainingSymbol(symbol);
    } catch (e) {
      if (ConnectError.from(e).code === Code.NotFound) return undefined;
      throw e;
    }
    const root = declaring[0];
    if (root === undefined) {
      throw new ConnectError(`server reflection sent no file for ${symbol}`, Code.Unknown);
    }
    for (const file of declaring) files.set(file.name, file);
    for (let missing = missingImports(root, files); missing.length > 0; missing = missingImports(root, files)) {
      const fetched = await reflection.filesByName(missing);
      for (const file of fetched) files.set(file.name, file);
      const absent = missing.filter((name) => !files.has(name));
      if (absent.length > 0) {
        throw new ConnectError(`server reflection did not send ${absent.join(", ")}, imported by ${root.name}`, Code.Unknown);
      }
    }
    try {
      return createFileRegistry(create(FileDescriptorSetSchema, { file: withImportsFirst(root, files) }));
    } catch (e) {
      throw new ConnectError(
        `the server's descriptor of ${root.name} does not load: ${e instanceof Error ? e.message : String(e)}`,
        Code.Internal,
        undefined,
        undefined,
        e,
      );
    }
  };

  const notFound = async (what: string): Promise<ConnectError> =>
    new ConnectError(`${what}; the server offers: ${(await services()).join(", ")}`, Code.NotFound);

  const service = async (name: string): Promise<Resolved<DescService>> => {
    const registry = await registryOf(name);
    const desc = registry?.getService(name);
    if (registry === undefined || desc === undefined) {
      throw await notFound(`unknown service "${name}"${registry !== undefined ? " (that name is not a service)" : ""}`);
    }
    return { desc, registry };
  };

  return {
    services,
    service,
    async method(target) {
      const resolved = await service(target.service).catch(async (e: unknown) => {
        // "hello.v1.HelloService" alone parses as service "hello.v1", method "HelloService".
        const asService = `${target.service}.${target.method}`;
        if (ConnectError.from(e).code !== Code.NotFound || !(await services()).includes(asService)) throw e;
        const { desc } = await service(asService);
        throw new ConnectError(
          `${asService} is a service, not a method; its methods: ${desc.methods.map((m) => `${asService}/${m.name}`).join(", ")}`,
          Code.NotFound,
        );
      });
      const { desc: parent, registry } = resolved;
      const desc = parent.methods.find((m) => m.name === target.method);
      if (desc === undefined) {
        throw new ConnectError(
          `${parent.typeName} has no method "${target.method}"; its methods: ${parent.methods.map((m) => m.name).join(", ")}`,
          Code.NotFound,
        );
      }
      return { desc, registry };
    },
    async element(name) {
      const fullName = name.replace(/^\./, "").replace("/", ".");
      const lastDot = fullName.lastIndexOf(".");
      // Servers need not index methods as symbols: look a method up through its service.
      for (const symbol of [fullName, fullName.slice(0, Math.max(lastDot, 0))]) {
        if (symbol === "") continue;
        const registry = await registryOf(symbol);
        if (registry === undefined) continue;
        const desc =
          registry.getService(fullName) ??
          registry.getMessage(fullName) ??
          registry.getEnum(fullName) ??
          registry.getService(fullName.slice(0, lastDot))?.methods.find((m) => m.name === fullName.slice(lastDot + 1));
        if (desc !== undefined) return { desc, registry };
      }
      throw await notFound(`"${name}" is not a service, method, message or enum the server knows`);
    },
  };
}

/** Imports of `root` (transitively) that are not in `files` yet. */
function missingImports(root: FileDescriptorProto, files: ReadonlyMap<string, FileDescriptorProto>): string[] {
  const missing = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: FileDescriptorProto) => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const name of file.dependency) {
      const dependency = files.get(name);
      if (dependency === undefined) missing.add(name);
      else visit(dependency);
    }
  };
  visit(root);
  return [...missing];
}

/** `root` and its imports, each file after the files it imports (as a FileDescriptorSet must be). */
function withImportsFirst(root: FileDescriptorProto, files: ReadonlyMap<string, FileDescriptorProto>): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const seen = new Set<string>();
  const visit = (file: FileDescriptorProto) => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const name of file.dependency) {
      const dependency = files.get(name);
      if (dependency !== undefined) visit(dependency);
    }
    ordered.push(file);
  };
  visit(root);
  return ordered;
}
