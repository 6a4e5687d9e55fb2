import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { PERMISSIONS, type Permission } from '#domain';
import type { AccessKeyRow } from '#domain/persistence';
import { OptionalDescription } from '../../common/description.field.js';

export class CreateAccessKeyDto {
  @ApiProperty({ enum: PERMISSIONS, description: 'PUB: publish, SUB: subscribe, ALL: both' })
  @IsIn(PERMISSIONS)
  permission!: Permission;

  @OptionalDescription()
  description?: string;
}

export class UpdateAccessKeyDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @OptionalDescription()
  description?: string;
}

export class AccessKeyDto {
  @ApiProperty() accessKeyId!: string;
  @ApiProperty() instanceId!: string;
  @ApiProperty({ enum: PERMISSIONS }) permission!: Permission;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() description!: string;
  @ApiProperty() createdAt!: string;

  static from(e: AccessKeyRow): AccessKeyDto {
    return {
      accessKeyId: e.accessKeyId,
      instanceId: e.instanceId,
      permission: e.permission,
      enabled: e.enabled,
      description: e.description,
      createdAt: e.createdAt.toISOString(),
    };
  }
}

/** The creation answer: the only time the secret is shown. */
export class CreatedAccessKeyDto extends AccessKeyDto {
  @ApiProperty({ description: 'shown once; store it now' }) secretKey!: string;
}

export class AccessKeyListDto {
  @ApiProperty({ type: [AccessKeyDto] }) items!: AccessKeyDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
