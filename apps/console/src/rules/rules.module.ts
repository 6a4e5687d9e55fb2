import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { RulesController } from './rules.controller.js';
import { RulesService } from './rules.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [RulesController],
  providers: [RulesService],
})
export class RulesModule {}
