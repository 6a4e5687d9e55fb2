import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { ClientLocator } from './client-locator.js';
import { ClientsController } from './clients.controller.js';
import { ClientsService } from './clients.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [ClientsController],
  providers: [ClientsService, ClientLocator],
})
export class ClientsModule {}
