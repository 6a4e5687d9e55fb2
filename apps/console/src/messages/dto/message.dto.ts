import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

export const MAX_BATCH_MESSAGES = 100;

export class SendMessageDto {
  @ApiProperty({
    example: 'cmd/p2p/GID_sensors@@@device-1',
    description: 'MQTT topic; its first level must be a parent topic of the instance. `<parent>/p2p/<clientId>` reaches that one client (P2P), any other topic every subscriber',
  })
  @IsString()
  topic!: string;

  @ApiProperty({ description: 'the payload, as text or base64 according to `encoding`' })
  @IsString()
  payload!: string;

  @ApiPropertyOptional({ enum: ['utf8', 'base64'], default: 'utf8' })
  @IsOptional()
  @IsIn(['utf8', 'base64'])
  encoding?: 'utf8' | 'base64';

  @ApiPropertyOptional({ enum: [0, 1, 2], default: 1 })
  @IsOptional()
  @IsIn([0, 1, 2])
  qos?: 0 | 1 | 2;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  retain?: boolean;

  @ApiPropertyOptional({
    description: 'optional: a topic `<parent>/p2p/<clientId>` is delivered to that client alone anyway; when given, clientId must name the same client (any other topic with a clientId is refused)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  clientId?: string;
}

export class SendBatchDto {
  @ApiProperty({ type: [SendMessageDto], minItems: 1, maxItems: MAX_BATCH_MESSAGES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_MESSAGES)
  @ValidateNested({ each: true })
  @Type(() => SendMessageDto)
  messages!: SendMessageDto[];
}

export class MessageAcceptedDto {
  @ApiProperty() msgId!: string;
}

export class BatchAcceptedDto {
  @ApiProperty({ type: [String] }) msgIds!: string[];
}
