import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { checkReadiness, type DependencyCheck, type ReadinessReport } from '#config';
import { DatabaseHealth } from '#domain/persistence';
import { Public } from '../auth/principal.js';
import { UnavailableError } from '../common/errors.js';
import { READINESS_CHECKS } from '../console.tokens.js';

class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ enum: ['up'] }) database!: 'up';
}

class LivenessDto {
  @ApiProperty({ enum: ['live'] }) status!: 'live';
}

class DependencyStatusDto {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'down';
  @ApiProperty() ms!: number;
  @ApiProperty({ required: false }) error?: string;
}

class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not-ready'] }) status!: 'ready' | 'not-ready';
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/DependencyStatusDto' }, example: { database: { status: 'up', ms: 2 }, kafka: { status: 'up', ms: 5 } } })
  checks!: Record<string, DependencyStatusDto>;
}

@ApiTags('operations')
@ApiExtraModels(DependencyStatusDto)
@Public()
@Controller('health')
export class HealthController {
  private readonly checks: DependencyCheck[];

  constructor(
    private readonly database: DatabaseHealth,
    @Inject(READINESS_CHECKS) extraChecks: DependencyCheck[],
  ) {
    this.checks = [{ name: 'database', check: () => database.ping() }, ...extraChecks];
  }

  @Get()
  @ApiOkResponse({ type: HealthDto, description: 'the database answers (GET /health/ready also checks Kafka)' })
  @ApiServiceUnavailableResponse({ description: 'the database does not answer' })
  async check(): Promise<HealthDto> {
    try {
      await this.database.ping();
    } catch {
      throw new UnavailableError('database is down');
    }
    return { status: 'ok', database: 'up' };
  }

  /** Liveness: the process serves HTTP. Checks nothing else, so a restart is never caused by a dependency. */
  @Get('live')
  @ApiOkResponse({ type: LivenessDto })
  live(): LivenessDto {
    return { status: 'live' };
  }

  /** Readiness: every dependency this process needs answers; 503 names the ones that do not. */
  @Get('ready')
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'a dependency does not answer' })
  async ready(@Res({ passthrough: true }) response: { status(code: number): unknown }): Promise<ReadinessReport> {
    const report = await checkReadiness(this.checks);
    if (report.status !== 'ready') response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
