/**
 * API keys with scopes. Keys are held as SHA-256 digests and every presented key is compared against
 * every stored digest with timingSafeEqual, so neither the match nor its position leaks through timing.
 * `admin` satisfies every scope.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { IobError, type ApiKey, type Scope } from '../engine/index.ts';

export interface Principal {
  id: string;
  scopes: ReadonlySet<Scope>;
}

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

export function createKeyring(keys: readonly ApiKey[]) {
  const entries = keys.map((k) => ({ digest: digest(k.key), principal: { id: k.id, scopes: new Set(k.scopes) } as Principal }));

  function identify(presented: string): Principal | undefined {
    const d = digest(presented);
    let found: Principal | undefined;
    for (const e of entries) if (timingSafeEqual(d, e.digest) && !found) found = e.principal;
    return found;
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
