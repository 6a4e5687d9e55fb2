import { Module } from '@nestjs/common';
import { webConsoleDir } from './web-console-dir.js';
import { WebConsoleSettingsController } from './web-console-settings.controller.js';
import { WebConsoleController } from './web-console.controller.js';
import { WEB_CONSOLE_DIR } from './web-console.tokens.js';

@Module({
  controllers: [WebConsoleController, WebConsoleSettingsController],
  providers: [{ provide: WEB_CONSOLE_DIR, useFactory: () => webConsoleDir() }],
})
export class WebConsoleModule {}
