import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The facts about the machine a report's numbers depend on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  git: string;
  redis: string;
  /** 1-minute load average when the run started (others may share the machine). */
  loadAverage: number;
}

async function versionOf(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(command, args);
    return stdout.trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** Describe this machine: CPU model, cores, memory, OS and the versions of node, git and redis. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpus = os.cpus();
  const redisLine = await versionOf('redis-server', ['--version']);
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    git: (await versionOf('git', ['--version'])).replace(/^git version /, ''),
    redis: /v=(\S+)/.exec(redisLine)?.[1] ?? redisLine,
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
