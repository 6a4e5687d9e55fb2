import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { AccessKeysController } from './access-keys.controller.js';
import { AccessKeysService } from './access-keys.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [AccessKeysController],
  providers: [AccessKeysService],
  exports: [AccessKeysService],
})
export class AccessKeysModule {}
