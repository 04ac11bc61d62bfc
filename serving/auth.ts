/**
 * API keys with scopes. Keys are held only as SHA-256 digests. A presented key is hashed once and its
 * digest looked up in a map: whatever timing the lookup leaks is about digests, and learning a prefix of
 * a stored key's digest does not help find a key that hashes to it, so this is as safe as comparing with
 * timingSafeEqual against every stored digest (what this did before; the scan cost more per request than
 * the rest of authentication). Key material is never compared directly. `admin` satisfies every scope.
 */
import { hash } from 'node:crypto';
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

  /** Throws 401 without a valid key, 403 without the scope. */
  function authorize(req: FastifyRequest, scope: Scope): Principal {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const principal = match ? identify(match[1]!) : undefined;
    if (!principal) throw new IobError('IOB_ERR_UNAUTHORIZED');
    if (!principal.scopes.has(scope) && !principal.scopes.has('admin')) {
      throw new IobError('IOB_ERR_FORBIDDEN', `this route needs the scope '${scope}'`);
    }
    return principal;
  }

  return { identify, authorize };
}
export type Keyring = ReturnType<typeof createKeyring>;
