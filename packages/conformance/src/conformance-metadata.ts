import { create } from "@bufbuild/protobuf";
import { type Header, HeaderSchema } from "./gen/connectrpc/conformance/v1/service_pb.js";

/**
 * Converts HTTP metadata (headers or trailers) to the suite's `Header` list: one entry per
 * name, its values in the order they arrived. `Headers` joins repeated values with ", "
 * except for `set-cookie`, so every other name yields one value, as connect-go's do when
 * they are read through `Header.Get`-style APIs; the runner compares values after joining.
 */
export function toProtoHeaders(headers: Headers): Header[] {
  const result: Header[] = [];
  headers.forEach((value, name) => {
    result.push(create(HeaderSchema, { name, value: [value] }));
  });
  return result;
}

/** Appends every value of the suite's `Header` list to HTTP metadata, keeping repeated names. */
export function appendProtoHeaders(target: Headers, headers: readonly Header[]): void {
  for (const header of headers) {
    for (const value of header.value) {
      target.append(header.name, value);
    }
  }
}

/** Converts the suite's `Header` list to HTTP metadata. */
export function headersFromProto(headers: readonly Header[]): Headers {
  const result = new Headers();
  appendProtoHeaders(result, headers);
  return result;
}
