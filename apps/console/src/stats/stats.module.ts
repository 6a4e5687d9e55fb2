import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { StatsController } from './stats.controller.js';
import { StatsService } from './stats.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [StatsController],
  providers: [StatsService],
})
export class StatsModule {}
