import type { Logger } from 'pino';

/**
 * The Teams SDK's logger interface (@microsoft/teams.common's ILogger), written out so that
 * Slipway does not import a package it does not depend on directly.
 */
export interface SdkLogger {
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
  trace(...msg: unknown[]): void;
  log(level: 'error' | 'warn' | 'info' | 'debug' | 'trace', ...msg: unknown[]): void;
  child(name: string): SdkLogger;
}

/**
 * The SDK's log lines through pino: its own info is Slipway's debug (it logs every activity),
 * its warnings and errors stay what they are. Without a logger the SDK prints to the console.
 */
export function sdkLogger(log: Logger | undefined, name = 'teams-sdk'): SdkLogger {
  const child = log?.child({ component: name });
  const at =
    (level: 'debug' | 'warn' | 'error') =>
    (...msg: unknown[]) =>
      child?.[level]({ detail: msg.map(describe).join(' ') }, 'teams sdk');
  const logger: SdkLogger = {
    debug: at('debug'),
    info: at('debug'),
    trace: at('debug'),
    warn: at('warn'),
    error: at('error'),
    log: (level, ...msg) =>
      (level === 'warn' || level === 'error' ? at(level) : at('debug'))(...msg),
    child: (childName) => sdkLogger(log, `${name}.${childName}`),
  };
  return logger;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
