// API tokens. A token is "ga_" + 32 random bytes (base64url), shown once at creation; only its
// SHA-256 is stored, so a copy of the database grants nothing.

import { createHash, randomBytes } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import { checkId, checkText, invalid, isObject } from '../ledger/validate.js';
import type { Store } from './database.js';
import type { TokenTable } from './schema.js';

export type Role = TokenTable['role'];
export const ROLES: readonly Role[] = ['admin', 'exporter', 'operator', 'auditor', 'landmark'];

export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
  /** exporter / operator: their organisation; landmark: their landmark id. */
  readonly scope: string | null;
}

export interface TokenInfo extends Principal {
  readonly createdAt: string;
  readonly revoked: boolean;
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export class TokenStore {
  constructor(private readonly store: Store) {}

  /** Creates a token; the secret is returned here and never again. */
  async create(body: unknown, actor: string, now: number): Promise<TokenInfo & { secret: string }> {
    if (!isObject(body)) invalid('a token request must be an object');
    for (const k of Object.keys(body))
      if (!['name', 'role', 'scope'].includes(k)) invalid(`a token has no field ${JSON.stringify(k)}`);
    const role = body.role as Role;
    if (!ROLES.includes(role)) invalid(`role must be one of ${ROLES.join(', ')}`);
    const name = checkText(body.name, 'name', 100);
    const needsScope = role === 'exporter' || role === 'operator' || role === 'landmark';
    const scope = needsScope ? checkId(body.scope, 'scope') : null;
    if (!needsScope && body.scope !== undefined && body.scope !== null)
      invalid(`a ${role} token has no scope`);
    const db = this.store.db;
    if (
      role === 'landmark' &&
      !(await db.selectFrom('landmarks').select('id').where('id', '=', scope!).executeTakeFirst())
    )
      throw new GeoattestError('NOT_FOUND', `no landmark ${scope}`);
    if (role === 'exporter' || role === 'operator') {
      const org = await db.selectFrom('orgs').select('kind').where('id', '=', scope!).executeTakeFirst();
      if (org === undefined) throw new GeoattestError('NOT_FOUND', `no organisation ${scope}`);
      const kind = role === 'exporter' ? 'exporter' : 'end-user';
      if (org.kind !== kind) invalid(`an ${role} token's scope must be an ${kind} organisation`);
    }
    const secret = `ga_${randomBytes(32).toString('base64url')}`;
    const row: TokenTable = {
      id: `tok_${randomBytes(6).toString('hex')}`,
      name,
      role,
      secret_hash: hashSecret(secret),
      scope,
      created_at: now,
      revoked_at: null,
    };
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('tokens').values(row).execute();
      await tx
        .insertInto('changes')
        .values({
          at: now,
          actor,
          entity: 'token',
          entity_id: row.id,
          action: 'create',
          detail: JSON.stringify({ name, role, scope }),
        })
        .execute();
    });
    return { ...info(row), secret };
  }

  async authenticate(secret: string): Promise<Principal | undefined> {
    if (!/^ga_[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
    const r = await this.store.db
      .selectFrom('tokens')
      .selectAll()
      .where('secret_hash', '=', hashSecret(secret))
      .executeTakeFirst();
    if (r === undefined || r.revoked_at !== null) return undefined;
    return { tokenId: r.id, name: r.name, role: r.role, scope: r.scope };
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.store.db.selectFrom('tokens').selectAll().orderBy('created_at').execute()).map(info);
  }

  async revoke(id: string, actor: string, now: number): Promise<void> {
    const r = await this.store.db
      .updateTable('tokens')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new GeoattestError('NOT_FOUND', `no active token ${id}`);
    await this.store.db
      .insertInto('changes')
      .values({ at: now, actor, entity: 'token', entity_id: id, action: 'revoke', detail: '{}' })
      .execute();
  }

  async count(): Promise<number> {
    const r = await this.store.db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

function info(r: TokenTable): TokenInfo {
  return {
    tokenId: r.id,
    name: r.name,
    role: r.role,
    scope: r.scope,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    revoked: r.revoked_at !== null,
  };
}
