/**
 * API keys with scopes. Keys are held only as SHA-256 digests. A presented key is hashed once and its
 * digest looked up in a map: whatever timing the lookup leaks is about digests, and learning a prefix of
 * a stored key's digest does not help find a key that hashes to it, so this is as safe as comparing with
 * timingSafeEqual against every stored digest (what this did before; the scan cost more per request than
 * the rest of authentication). Key material is never compared with a stored key. `admin` satisfies every
 * scope.
 *
 * A keep-alive connection remembers the Authorization header its last request was identified by, and a
 * request on it carrying the same header (string equality) skips the digest: the SHA-256 was ~2 µs of a
 * scoring request's server time under load, the largest step of authentication. What is remembered is what
 * that connection's own client sent; it goes with the connection (a WeakMap keyed by the socket), is never
 * shared between connections, and a different header on the same connection is hashed and checked afresh.
 * The keyring does not change while the process runs (keys come from the configuration at start), so a
 * remembered principal cannot outlive its key.
 */
import { hash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { IobError, type ApiKey, type Scope } from '../engine/index.ts';

export interface Principal {
  id: string;
  scopes: ReadonlySet<Scope>;
}

/** One-shot SHA-256 (no Hash object per request), base64 so it can key a map. */
const digest = (key: string) => hash('sha256', key, 'base64');

export function createKeyring(keys: readonly ApiKey[]) {
  const byDigest = new Map<string, Principal>();
  for (const k of keys) {
    const d = digest(k.key);
    // The first entry of a key listed twice identifies it (as the scan did).
    if (!byDigest.has(d)) byDigest.set(d, { id: k.id, scopes: new Set(k.scopes) });
  }

  function identify(presented: string): Principal | undefined {
    return byDigest.get(digest(presented));
  }

  /** Per connection: the header its last identified request carried, and whom it identified. */
  const lastOnConnection = new WeakMap<Socket, { header: string; principal: Principal }>();

  function identifyHeader(header: string | undefined, socket: Socket | undefined): Principal | undefined {
    if (typeof header !== 'string') return undefined;
    const last = socket ? lastOnConnection.get(socket) : undefined;
    if (last !== undefined && last.header === header) return last.principal;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const principal = match ? identify(match[1]!) : undefined;
    if (principal && socket) lastOnConnection.set(socket, { header, principal });
    return principal;
  }

  /** Throws 401 without a valid key, 403 without the scope. */
  function authorize(req: FastifyRequest, scope: Scope): Principal {
    const principal = identifyHeader(req.headers.authorization, req.raw.socket as Socket | undefined);
    if (!principal) throw new IobError('IOB_ERR_UNAUTHORIZED');
    if (!principal.scopes.has(scope) && !principal.scopes.has('admin')) {
      throw new IobError('IOB_ERR_FORBIDDEN', `this route needs the scope '${scope}'`);
    }
    return principal;
  }

  return { identify, authorize };
}
export type Keyring = ReturnType<typeof createKeyring>;
