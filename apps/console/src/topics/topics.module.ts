import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { TopicsController } from './topics.controller.js';
import { TopicsService } from './topics.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [TopicsController],
  providers: [TopicsService],
})
export class TopicsModule {}
