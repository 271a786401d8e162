import { create, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { type Code, ConnectError } from "@connectrpc/connect";
import type { Code as ConformanceCode } from "./gen/connectrpc/conformance/v1/config_pb.js";
import { type Error as ConformanceError, ErrorSchema } from "./gen/connectrpc/conformance/v1/service_pb.js";

/** The prefix of every `google.protobuf.Any` type URL the suite sends and expects. */
const TYPE_URL_PREFIX = "type.googleapis.com/";

/**
 * Builds the `ConnectError` a test case asks the server to raise, with the case's details
 * followed by `extraDetails`. Details travel as the raw `Any` bytes they arrived in, so any
 * detail type works without a registry of message types. The suite's codes are connect's
 * codes by number (`CODE_CANCELED` = 1 = `Code.Canceled`, …).
 */
export function connectErrorFromProto(error: ConformanceError, extraDetails: readonly Any[] = []): ConnectError {
  const result = new ConnectError(error.message ?? "", error.code as number as Code);
  for (const detail of [...error.details, ...extraDetails]) {
    // connect encodes incoming-style details ({ type, value }) as they are, on every protocol.
    result.details.push({ type: typeNameOf(detail.typeUrl), value: detail.value });
  }
  return result;
}

/**
 * Describes an RPC error for a `ClientResponseResult`: code, message (the server's, without
 * connect's "[code]" prefix) and every detail as an `Any`.
 */
export function protoErrorFrom(error: ConnectError): ConformanceError {
  return create(ErrorSchema, {
    code: error.code as number as ConformanceCode,
    message: error.rawMessage,
    details: error.details.map((detail) =>
      "desc" in detail
        ? create(AnySchema, {
            typeUrl: TYPE_URL_PREFIX + detail.desc.typeName,
            value: toBinary(detail.desc, create(detail.desc, detail.value)),
          })
        : create(AnySchema, { typeUrl: TYPE_URL_PREFIX + detail.type, value: detail.value }),
    ),
  });
}

/** The fully-qualified message name of a type URL: everything after its last "/". */
function typeNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
}
