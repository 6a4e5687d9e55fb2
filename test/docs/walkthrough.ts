import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The documentation's shell walkthroughs as executable checks.
 *
 * Every fenced ```bash block of README.md and docs/*.md runs, in order, in one bash session
 * (variables carry from block to block, as in a user's terminal). Two markers, an HTML comment on
 * the line right before the fence, change that; each gives its reason in the comment:
 *   <!-- walkthrough: skip (reason) -->        not run: installs, the test suites, sketches with placeholders
 *   <!-- walkthrough: background (reason) -->  runs in the background, like a second terminal that keeps going
 * A comment line `# prints: TEXT` or `# <who> prints: TEXT` in a block states an effect: after the
 * block the runner waits until TEXT (up to a `...`) appears in the session's output.
 */
export type BlockMode = 'run' | 'skip' | 'background';

export interface ShellBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  mode: BlockMode;
  reason?: string;
  /** Texts the block says get printed. */
  expectations: string[];
}

const MARKER = /^<!--\s*walkthrough:\s*(skip|background)\b\s*(.*?)\s*-->\s*$/;
const PRINTS = /^\s*#\s*(?:[\w ./@-]+?\s+)?prints:\s*(.+)$/;

export function extractShellBlocks(markdown: string, file: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.trim() === '```');
    if (end === -1) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    if (fence[2] === 'bash') {
      const marker = i > 0 ? MARKER.exec(lines[i - 1].trim()) : null;
      const code = lines.slice(i + 1, end).map((line) => line.slice(fence[1].length)).join('\n');
      const expectations = code
        .split('\n')
        .map((line) => PRINTS.exec(line)?.[1])
        .filter((text): text is string => text !== undefined)
        .map((text) => text.split('...')[0].trim())
        .filter((text) => text.length > 0);
      blocks.push({ file, line: i + 1, code, mode: (marker?.[1] as BlockMode | undefined) ?? 'run', reason: marker?.[2].replace(/^\((.*)\)$/, '$1'), expectations });
    }
    i = end;
  }
  return blocks;
}

/** The documented ports of `npm start`, replaced by the runner's own (the text is otherwise unchanged). */
export function substitutePorts(text: string, ports: { http: number; mqtt: number; ws: number }): string {
  return text.replace(/\b8080\b/g, String(ports.http)).replace(/\b1884\b/g, String(ports.mqtt)).replace(/\b8083\b/g, String(ports.ws));
}

/**
 * One bash session. HTTP errors count as failures: `curl` is wrapped with --fail-with-body, and
 * any failing command of a block (ERR trap, pipefail) fails that block.
 */
export class WalkthroughShell {
  private readonly bash: ChildProcess;
  output = '';
  private readonly listeners = new Set<() => void>();
  private counter = 0;

  constructor(
    private readonly cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    // detached: its own process group, so that background jobs are ended with it.
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      for (const listener of this.listeners) listener();
    };
    this.bash.stdout!.on('data', collect);
    this.bash.stderr!.on('data', collect);
    this.bash.stdin!.write('set -o pipefail -E\ncurl() { command curl --fail-with-body "$@"; }\n');
  }

  /** Runs a block; resolves with the failing commands (empty when it succeeded). */
  async run(block: ShellBlock, timeoutMs: number): Promise<string[]> {
    const id = ++this.counter;
    const file = join(this.cwd, `.walkthrough-block-${id}.sh`);
    writeFileSync(file, `${block.code}\n`);
    const done = `__WALKTHROUGH_DONE_${id}__`;
    const failed = `__WALKTHROUGH_FAILED_${id}__`;
    const from = this.output.length;
    const body =
      block.mode === 'background'
        ? `source ${file} &\n`
        : `trap 'echo "${failed} line $LINENO: $BASH_COMMAND" >&2' ERR\nsource ${file}\ntrap - ERR\n`;
    this.bash.stdin!.write(`${body}echo ${done}\n`);
    await this.waitFor(done, timeoutMs, from, `${block.file}:${block.line} did not finish within ${timeoutMs / 1000}s`);
    const failures = this.output
      .slice(from)
      .split('\n')
      .filter((line) => line.startsWith(failed))
      .map((line) => line.slice(failed.length + 1));
    // A failure inside the curl wrapper also fires at its call site, which names the doc's command.
    const inBlock = failures.filter((line) => !line.includes('command curl --fail-with-body'));
    return [...new Set(inBlock.length > 0 ? inBlock : failures)];
  }

  /** Resolves once `text` appears in the output written after `from`. */
  waitFor(text: string, timeoutMs: number, from: number, message: string): Promise<void> {
    return new Promise((resolveWait, reject) => {
      const check = () => {
        if (this.output.indexOf(text, from) === -1) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolveWait();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(message));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Ends the session and every background job it started (its process group). */
  async close(): Promise<void> {
    const exited = new Promise((resolveExit) => this.bash.once('exit', resolveExit));
    try {
      process.kill(-this.bash.pid!, 'SIGTERM');
    } catch {
      return; // already gone
    }
    await exited;
    // Background jobs (a backend leaving its consumer group) may take a few seconds; then they are killed.
    const group = -this.bash.pid!;
    for (let waited = 0; waited < 15_000 && groupExists(group); waited += 100) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    if (groupExists(group)) process.kill(group, 'SIGKILL');
    this.bash.stdin!.destroy();
    this.bash.stdout!.destroy();
    this.bash.stderr!.destroy();
  }
}

function groupExists(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}
