import { Module } from '@nestjs/common';
import { OverviewController } from './overview.controller.js';
import { OverviewSampler } from './overview.sampler.js';

@Module({ controllers: [OverviewController], providers: [OverviewSampler] })
export class OverviewModule {}
