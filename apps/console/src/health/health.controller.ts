import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DatabaseHealth } from '#domain/persistence';
import { Public } from '../auth/principal.js';
import { UnavailableError } from '../common/errors.js';

class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ enum: ['up'] }) database!: 'up';
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly database: DatabaseHealth) {}

  @Get()
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ description: 'the database does not answer' })
  async check(): Promise<HealthDto> {
    try {
      await this.database.ping();
    } catch {
      throw new UnavailableError('database is down');
    }
    return { status: 'ok', database: 'up' };
  }
}
