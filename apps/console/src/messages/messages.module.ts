import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [MessagesController],
  providers: [MessagesService],
})
export class MessagesModule {}
