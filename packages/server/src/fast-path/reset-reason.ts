import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The reason connect-node aborts a call's signal with when its HTTP/2 stream closes
 * early: connect-node's `connectErrorFromH2ResetCode` (node-error.js, not exported), or
 * undefined for codes it does not map (NO_ERROR, STREAM_CLOSED).
 */
export function resetReason(rstCode: number): ConnectError | undefined {
  const code = RESET_STATUS[rstCode];
  if (code === undefined) return undefined;
  return new ConnectError(`http/2 stream closed with error code ${H2_CODES[rstCode]} (0x${rstCode.toString(16)})`, code);
}

/** The reason a call is aborted with when its connection is gone (dropped by the client, or destroyed). */
export function connectionClosed(): ConnectError {
  return new ConnectError("the connection closed", Code.Canceled);
}

const H2_CODES: Readonly<Record<number, string>> = {
  1: "PROTOCOL_ERROR",
  2: "INTERNAL_ERROR",
  3: "FLOW_CONTROL_ERROR",
  4: "SETTINGS_TIMEOUT",
  6: "FRAME_SIZE_ERROR",
  7: "REFUSED_STREAM",
  8: "CANCEL",
  9: "COMPRESSION_ERROR",
  10: "CONNECT_ERROR",
  11: "ENHANCE_YOUR_CALM",
  12: "INADEQUATE_SECURITY",
  13: "HTTP_1_1_REQUIRED",
};

const RESET_STATUS: Readonly<Record<number, Code>> = {
  1: Code.Internal,
  2: Code.Internal,
  3: Code.Internal,
  4: Code.Internal,
  6: Code.Internal,
  7: Code.Unavailable,
  8: Code.Canceled,
  9: Code.Internal,
  10: Code.Internal,
  11: Code.ResourceExhausted,
  12: Code.PermissionDenied,
  13: Code.PermissionDenied,
};
