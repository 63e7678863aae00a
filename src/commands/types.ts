/**
 * Typed chat commands (ARCHITECTURE.md, "Chat grammar"). The parser is pure: text and the
 * known names in, a command or a precise error out.
 */
export type Command =
  | {
      kind: 'deploy';
      service: string;
      /** Omitted: the latest build / configured default, decided by the engine. */
      version: string | null;
      environment: string | null;
      /** `deploy!`: override a freeze window (for those allowed). */
      force: boolean;
      reason: string | null;
    }
  | {
      kind: 'rollback';
      service: string;
      environment: string | null;
      /** Omitted: the version before the one live now. */
      version: string | null;
      /** After ` -- `: why, for the audit trail. */
      reason: string | null;
    }
  | {
      kind: 'lock';
      environment: string;
      service: string | null;
      /** Milliseconds, or null for no expiry. */
      durationMs: number | null;
      reason: string | null;
      /** `lock!`: take over someone else's lock (for those allowed). */
      force: boolean;
    }
  | { kind: 'unlock'; environment: string; service: string | null; force: boolean }
  | { kind: 'status'; service: string | null }
  | { kind: 'history'; service: string; environment: string | null; limit: number }
  | { kind: 'help'; topic: CommandName | null };

export type CommandName = Command['kind'];

/** The names the parser checks against, to suggest near misses. */
export interface GrammarContext {
  services: readonly string[];
  environments: readonly string[];
}

export type ParseResult =
  | { ok: true; command: Command }
  | {
      ok: false;
      /** One sentence saying what is wrong ("Unknown service "wbe"."). */
      error: string;
      /** "Did you mean `web`?" when a near miss exists. */
      suggestion: string | null;
      /** Usage text for the command that was attempted, or the overview. */
      usage: string;
    };
