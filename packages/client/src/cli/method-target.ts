/** A method named on the command line: `hello.v1.HelloService/SayHello`. */
export interface MethodTarget {
  /** Fully-qualified service name, e.g. "hello.v1.HelloService". */
  readonly service: string;
  /** Method name, e.g. "SayHello". */
  readonly method: string;
}

const FULL_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a method as gRPC tools write it: `package.Service/Method` (the path of its URL,
 * with or without the leading "/"), or `package.Service.Method` (its fully-qualified
 * name). Returns an `Error` with an example when the text is neither.
 *
 * @example
 * parseMethodTarget("hello.v1.HelloService/SayHello"); // { service: "hello.v1.HelloService", method: "SayHello" }
 */
export function parseMethodTarget(text: string): MethodTarget | Error {
  const trimmed = text.trim().replace(/^\//, "");
  const slash = trimmed.lastIndexOf("/");
  const split = slash >= 0 ? slash : trimmed.lastIndexOf(".");
  const service = trimmed.slice(0, Math.max(split, 0));
  const method = trimmed.slice(split + 1);
  if (split <= 0 || !FULL_NAME.test(service) || !NAME.test(method)) {
    return new Error(`"${text}" is not a method: use <package>.<Service>/<Method>, e.g. hello.v1.HelloService/SayHello`);
  }
  return { service, method };
}

/** Whether `text` is a fully-qualified protobuf name, e.g. "hello.v1.HelloRequest". */
export function isFullName(text: string): boolean {
  return FULL_NAME.test(text);
}
