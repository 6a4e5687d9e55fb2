import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { DeviceCredentialsController } from './device-credentials.controller.js';
import { DeviceCredentialsService } from './device-credentials.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [DeviceCredentialsController],
  providers: [DeviceCredentialsService],
})
export class DeviceCredentialsModule {}
