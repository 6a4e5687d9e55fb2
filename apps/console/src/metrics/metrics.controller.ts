import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, register } from 'prom-client';
import { Public } from '../auth/principal.js';

let defaultsCollected = false;

/** Default process metrics once per process, whichever app asks first. */
function ensureDefaultMetrics(): void {
  if (defaultsCollected || register.getSingleMetric('process_cpu_user_seconds_total')) return;
  defaultsCollected = true;
  collectDefaultMetrics();
}

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor() {
    ensureDefaultMetrics();
  }

  @Get()
  @Header('Content-Type', register.contentType)
  async metrics(): Promise<string> {
    return register.metrics();
  }
}
