import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { TokensController } from './tokens.controller.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [TokensController],
  providers: [TokensService],
})
export class TokensModule {}
