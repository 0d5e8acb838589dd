/** The built gateway (`fsg serve`) in a child process on a free port of 127.0.0.1. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI, ROOT } from './cli';

export interface Served {
  child: ChildProcessWithoutNullStreams;
  /** The gateway's URL once it listens; rejects if it exits before. */
  listening: Promise<string>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

export function serveGateway(env: NodeJS.ProcessEnv): Served {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, FSG_HOST: '127.0.0.1', FSG_PORT: '0', FSG_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /"message":"gateway listening"[^\n]*/.exec(text) ?? /gateway listening[^\n]*/.exec(text);
      const url = match && /"url":"([^"]+)"/.exec(match[0]);
      if (url) resolve(url[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`fsg serve exited (${code}) before listening: ${errors.slice(-2000)}`)),
    );
  });
  return { child, listening, exited };
}
