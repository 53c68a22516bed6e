// What the browser tests share: a real `jamscope serve` (embedded ClickHouse) on free ports, helper services
// that print `listening <port>` (the OpenTelemetry SDK clients of tests/clients/), headless Chromium, and
// polling. Everything started here is stopped by the caller's `after`, even when a test failed.
//   JAMSCOPE_TEST_BIN     collector binary (default ../../target/debug/jamscope; `cargo build -p jamscope` first)
//   JAMSCOPE_TEST_PYTHON  Python with chdb-core and the OpenTelemetry SDK (default ../../.venv/bin/python)
//   CHROMIUM              browser binary (default /usr/bin/chromium; `apt-get install chromium`)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = fileURLToPath(new URL('.', import.meta.url));
export const BIN = resolve(root, process.env.JAMSCOPE_TEST_BIN || '../../target/debug/jamscope');
export const PYTHON = resolve(root, process.env.JAMSCOPE_TEST_PYTHON || '../../.venv/bin/python');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((res, rej) => {
    const server = createTcpServer().once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

/**
 * Starts `jamscope serve` in a fresh data directory with `env` (an object, or a function of the data directory)
 * on top of what every test sets; `prepare(dataDir)` runs first (rule files, say). Resolves once it says it is
 * ready: { http, dataDir, output(), stop() }.
 */
export async function startCollector({ env: extra = {}, prepare } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'jamscope-browser-'));
  prepare?.(dataDir);
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  // Only what the test sets: inherited JAMSCOPE_* (the Makefile's, a developer's) would change the setup.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('JAMSCOPE_')));
  Object.assign(env, {
    JAMSCOPE_DATA_DIR: dataDir,
    JAMSCOPE_CLICKHOUSE_EMBEDDED_PYTHON: PYTHON,
    JAMSCOPE_CLICKHOUSE_EMBEDDED_HTTP_PORT: '0',
    JAMSCOPE_CLICKHOUSE_EMBEDDED_TCP_PORT: '0',
    JAMSCOPE_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    JAMSCOPE_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    JAMSCOPE_WRITER_FLUSH_INTERVAL_MS: '200',
    ...(typeof extra == 'function' ? extra(dataDir) : extra),
  });
  const child = spawn(BIN, ['serve'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collector = {
    http: `http://127.0.0.1:${httpPort}`,
    dataDir,
    output: () => output,
    async stop() {
      await stopProcess(child, 'SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`collector not ready within 90 s:\n${output}`)), 90_000);
      child.once('error', (e) => rej(new Error(`cannot start ${BIN} (cargo build -p jamscope): ${e.message}`)));
      child.once('exit', (code, signal) => rej(new Error(`collector exited (${code ?? signal}):\n${output}`)));
      child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        output += chunk;
        if (/^Jamscope is ready\./m.test(output)) {
          clearTimeout(timer);
          res();
        }
      });
    });
  } catch (error) {
    await collector.stop();
    throw error;
  }
  return collector;
}

/** Stops `child` with `signal` (SIGKILL if it hangs for 20 s); done at once if it has exited. */
async function stopProcess(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  if (signal) child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a helper service that prints `listening <port>` and stops when its stdin closes (after exporting its
 * spans): { port, url, lines() (what it printed after that, parsed as JSON where it is), stop() }.
 */
export async function startService(command, args, what) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (errors += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  const service = {
    lines: () =>
      output
        .split('\n')
        .slice(1)
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line)),
    async stop() {
      child.stdin.end();
      await stopProcess(child, null);
    },
  };
  try {
    service.port = await new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${what} not listening within 30 s:\n${errors}`)), 30_000);
      child.once('error', (e) => rej(new Error(`cannot start ${what}: ${e.message}`)));
      child.once('exit', (code) => rej(new Error(`${what} exited (${code}):\n${errors}`)));
      child.stdout.on('data', () => {
        const match = /^listening (\d+)$/m.exec(output);
        if (match) {
          clearTimeout(timer);
          res(Number(match[1]));
        }
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  service.url = `http://127.0.0.1:${service.port}`;
  return service;
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}

/** GET `path` of the collector's API: { status, body }. */
export async function api(collector, path) {
  const response = await fetch(collector.http + path);
  const body = await response.json();
  return { status: response.status, body };
}

/** Polls `check` (→ { done, value }) until done; fails naming `what`, with the last value and the collector's log. */
export async function waitFor(collector, what, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last.done) return last.value;
    await sleep(250);
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last?.value)?.slice(0, 2000)}\n` +
    `collector:\n${collector.output().slice(-3000)}`);
}
