import { type DataSource, IsNull, type Repository } from 'typeorm';
import { TokenEntity } from '../entities/token.entity.js';
import type { TokenRow } from '../rows.js';
import { toRow, toRowOrNull } from './row-mapper.js';

export type NewToken = Omit<TokenRow, 'revokedAt' | 'createdAt'>;

export abstract class TokenRepository {
  abstract create(token: NewToken): Promise<TokenRow>;
  abstract findByHash(tokenHash: string): Promise<TokenRow | null>;
  /** Marks the token revoked (once); false when it does not exist. */
  abstract revoke(tokenHash: string, at: Date): Promise<boolean>;
}

export class TypeOrmTokenRepository extends TokenRepository {
  private readonly repo: Repository<TokenEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(TokenEntity);
  }

  async create(token: NewToken): Promise<TokenRow> {
    await this.repo.insert({ ...token, revokedAt: null });
    return this.repo.findOneByOrFail({ tokenHash: token.tokenHash }).then(toRow);
  }

  findByHash(tokenHash: string): Promise<TokenRow | null> {
    return this.repo.findOneBy({ tokenHash }).then(toRowOrNull);
  }

  async revoke(tokenHash: string, at: Date): Promise<boolean> {
    // Keep the first revocation time when revoked twice.
    await this.repo.update({ tokenHash, revokedAt: IsNull() }, { revokedAt: at });
    return (await this.repo.countBy({ tokenHash })) > 0;
  }
}
