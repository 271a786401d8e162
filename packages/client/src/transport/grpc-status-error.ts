import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, decodeBinaryHeader } from "@connectrpc/connect";

/** Whether a response's headers or trailers carry a gRPC status. */
export function hasGrpcStatus(headers: Headers): boolean {
  return headers.has("grpc-status");
}

/**
 * The error a gRPC status in a response's trailers (or, for a trailers-only response, its
 * headers) says, or undefined for OK or no status. As connect reads it: a
 * `grpc-status-details-bin` (a `google.rpc.Status`) wins over `grpc-status` and
 * `grpc-message`, and carries the details; an unknown code is INTERNAL. The error's
 * metadata is `headers`, and it is marked as read from the wire.
 */
export function grpcStatusError(headers: Headers): ConnectError | undefined {
  const details = headers.get("grpc-status-details-bin");
  if (details !== null) {
    const status = decodeStatus(decodeBinaryHeader(details));
    if (status.code === 0) return undefined;
    const error = new ConnectError(status.message, status.code as Code, headers);
    error.details = status.details.map((any) => ({
      type: any.typeUrl.substring(any.typeUrl.lastIndexOf("/") + 1),
      value: any.value,
    }));
    error.isWireError = true;
    return error;
  }
  const grpcStatus = headers.get("grpc-status");
  if (grpcStatus === null || grpcStatus === "0") return undefined;
  const code = Number.parseInt(grpcStatus, 10);
  const error =
    code in Code
      ? new ConnectError(decodeURIComponent(headers.get("grpc-message") ?? ""), code, headers)
      : new ConnectError(`invalid grpc-status: ${grpcStatus}`, Code.Internal, headers);
  error.isWireError = true;
  return error;
}

/** A `google.rpc.Status`: code (1), message (2), details (3, `google.protobuf.Any`: type_url 1, value 2). */
interface Status {
  code: number;
  message: string;
  details: { typeUrl: string; value: Uint8Array<ArrayBufferLike> }[];
}

function decodeStatus(bytes: Uint8Array): Status {
  const reader = new BinaryReader(bytes);
  const status: Status = { code: 0, message: "", details: [] };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) status.code = reader.int32();
    else if (field === 2 && wireType === WireType.LengthDelimited) status.message = reader.string();
    else if (field === 3 && wireType === WireType.LengthDelimited) status.details.push(decodeAny(reader.bytes()));
    else reader.skip(wireType);
  }
  return status;
}

function decodeAny(bytes: Uint8Array): { typeUrl: string; value: Uint8Array<ArrayBufferLike> } {
  const reader = new BinaryReader(bytes);
  const any: { typeUrl: string; value: Uint8Array<ArrayBufferLike> } = { typeUrl: "", value: new Uint8Array(0) };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) any.typeUrl = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) any.value = reader.bytes();
    else reader.skip(wireType);
  }
  return any;
}
