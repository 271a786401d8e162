import { Code, ConnectError } from "@connectrpc/connect";

/** The header that carries credentials (RFC 9110 §11.6.2). */
export const AUTHORIZATION_HEADER = "authorization";

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The `authorization` value for a bearer token: `Bearer <token>`. Throws a `ConnectError`
 * with INVALID_ARGUMENT when the token has characters RFC 6750 does not allow (a stray
 * space or newline, a "Bearer " prefix given twice); the message never contains the token.
 *
 * @example
 * await client.sayHello(req, { headers: { authorization: bearerAuthorization(token) } });
 */
export function bearerAuthorization(token: string): string {
  if (!B64TOKEN.test(token)) {
    throw new ConnectError(
      `the bearer token (${token.length} characters) is not a valid RFC 6750 token: use only letters, digits, "-", ".", "_", "~", "+", "/" and trailing "=", without the "Bearer " prefix`,
      Code.InvalidArgument,
    );
  }
  return `Bearer ${token}`;
}
