import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { TOKEN_ACTIONS, type TokenAction } from '#domain';

export const MAX_TOKEN_RESOURCES = 100;

export class ApplyTokenDto {
  @ApiProperty({ type: [String], example: ['telemetry/GID_sensors/#'], description: `1..${MAX_TOKEN_RESOURCES} topic filters whose first level is a parent topic` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TOKEN_RESOURCES)
  @IsString({ each: true })
  resources!: string[];

  @ApiProperty({ enum: TOKEN_ACTIONS, description: 'R: subscribe/receive, W: publish' })
  @IsIn(TOKEN_ACTIONS)
  actions!: TokenAction;

  @ApiProperty({ description: 'expiry in ms since the epoch; in the future, at most 30 days ahead', example: 1767225600000 })
  @IsInt()
  expireTime!: number;

  @ApiPropertyOptional({ description: 'the access key the token is issued for; required with the admin token, implied by Basic auth' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  accessKeyId?: string;
}

export class TokenBodyDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  token!: string;
}

export class AppliedTokenDto {
  @ApiProperty({ description: 'shown once; only its hash is stored' }) token!: string;
  @ApiProperty({ description: 'ms since the epoch' }) expiresAt!: number;
  @ApiProperty({ type: [String] }) resources!: string[];
  @ApiProperty({ enum: TOKEN_ACTIONS }) actions!: TokenAction;
}

export class TokenInfoDto {
  @ApiProperty({ type: [String] }) resources!: string[];
  @ApiProperty({ enum: TOKEN_ACTIONS }) actions!: TokenAction;
  @ApiProperty({ description: 'ms since the epoch' }) expiresAt!: number;
  @ApiProperty() revoked!: boolean;
  @ApiProperty() accessKeyId!: string;
}

export class RevokedTokenDto {
  @ApiProperty() revoked!: boolean;
}
