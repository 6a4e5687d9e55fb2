/** DI token of the folder the built web console is served from. */
export const WEB_CONSOLE_DIR = Symbol('WEB_CONSOLE_DIR');
