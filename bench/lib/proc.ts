import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, existsSync } from 'node:fs';

/** Resident set size of a process, in bytes (VmRSS of /proc/<pid>/status). */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system) a process has used so far, in seconds. */
export function readCpuSeconds(pid: number): number {
  return cpuSecondsOfStat(`/proc/${pid}/stat`);
}

/** CPU time (user + system) one thread of a process has used so far, in seconds (the main thread's id is the pid). */
export function readThreadCpuSeconds(pid: number, tid: number): number {
  return cpuSecondsOfStat(`/proc/${pid}/task/${tid}/stat`);
}

function cpuSecondsOfStat(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // The command name may contain spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond();
}

export function isAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}/stat`);
}

/** The pid that owns the TCP socket listening on `port` (any local address), if visible. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const localPort = parseInt(cols[1].split(':')[1], 16);
      if (localPort === port && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) return Number(entry);
      } catch {
        // fd closed while listing
      }
    }
  }
  return undefined;
}

let tasksetChecked: boolean | undefined;
export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-V'], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

/** Current CPU list of a process (e.g. "0-1"), or undefined without taskset. */
export function getAffinity(pid: number): string | undefined {
  if (!hasTaskset()) return undefined;
  const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
  return out.slice(out.lastIndexOf(':') + 1).trim();
}

/** Pins every thread of a process to `cpus`; returns false when it could not. */
export function pin(pid: number, cpus: string): boolean {
  if (!hasTaskset()) return false;
  try {
    execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
