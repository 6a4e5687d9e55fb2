import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BodyLimit } from '../common/body-limit.js';
import { BatchAcceptedDto, MessageAcceptedDto, SendBatchDto, SendMessageDto } from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/messages')
export class MessagesController {
  constructor(private readonly service: MessagesService) {}

  @Post()
  @BodyLimit('message')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: MessageAcceptedDto, description: 'handed to Kafka (fleetmq.downlink)' })
  async send(@Param('instanceId') instanceId: string, @Body() body: SendMessageDto): Promise<MessageAcceptedDto> {
    return { msgId: await this.service.send(instanceId, body) };
  }

  @Post('batch')
  @BodyLimit('batch')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: BatchAcceptedDto })
  async sendBatch(@Param('instanceId') instanceId: string, @Body() body: SendBatchDto): Promise<BatchAcceptedDto> {
    return { msgIds: await this.service.sendBatch(instanceId, body.messages) };
  }
}
