import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AccessKeyAuth, CurrentPrincipal, type Principal } from '../auth/principal.js';
import { AppliedTokenDto, ApplyTokenDto, RevokedTokenDto, TokenBodyDto, TokenInfoDto } from './dto/token.dto.js';
import { TokensService } from './tokens.service.js';

@ApiTags('tokens')
@ApiBearerAuth('bearer')
@ApiBasicAuth('basic')
@AccessKeyAuth()
@Controller('api/v1/instances/:instanceId/tokens')
export class TokensController {
  constructor(private readonly service: TokensService) {}

  @Post()
  @ApiCreatedResponse({ type: AppliedTokenDto })
  async apply(@Param('instanceId') instanceId: string, @CurrentPrincipal() principal: Principal, @Body() body: ApplyTokenDto): Promise<AppliedTokenDto> {
    const { token, entity } = await this.service.apply(instanceId, principal, body);
    return { token, expiresAt: entity.expiresAt.getTime(), resources: entity.resources, actions: entity.actions };
  }

  @Post('query')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenInfoDto })
  async query(@Param('instanceId') instanceId: string, @CurrentPrincipal() principal: Principal, @Body() body: TokenBodyDto): Promise<TokenInfoDto> {
    const e = await this.service.query(instanceId, principal, body.token);
    return { resources: e.resources, actions: e.actions, expiresAt: e.expiresAt.getTime(), revoked: e.revokedAt !== null, accessKeyId: e.accessKeyId };
  }

  @Post('revoke')
  @HttpCode(200)
  @ApiOkResponse({ type: RevokedTokenDto })
  async revoke(@Param('instanceId') instanceId: string, @CurrentPrincipal() principal: Principal, @Body() body: TokenBodyDto): Promise<RevokedTokenDto> {
    await this.service.revoke(instanceId, principal, body.token);
    return { revoked: true };
  }
}
