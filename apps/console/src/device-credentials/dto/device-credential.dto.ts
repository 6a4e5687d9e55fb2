import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class CreateDeviceCredentialDto {
  @ApiProperty({ example: 'GID_sensors@@@device-0001', description: 'GID_<group>@@@<device> of an existing group, at most 64 characters' })
  @IsString()
  @MaxLength(64)
  clientId!: string;
}

export class DeviceCredentialDto {
  @ApiProperty() clientId!: string;
  @ApiProperty() deviceAccessKeyId!: string;
  @ApiProperty({ description: 'the backend hands it to the device' }) deviceAccessKeySecret!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
