import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { StoreContext } from '../context.js';
import * as initial from './001-initial.js';
import * as chatMessages from './002-chat-messages.js';
import * as reviewDecisions from './003-review-decisions.js';
import * as buildRefs from './004-build-refs.js';
import * as alertMessages from './005-alert-messages.js';
import * as traceContext from './006-trace-context.js';
import * as refusals from './007-refusals.js';
import * as seenDeliveries from './008-seen-deliveries.js';
import * as people from './009-people.js';
import * as canarySignals from './010-canary-signals.js';
import * as postedMessages from './011-posted-messages.js';
import * as chatConversations from './012-chat-conversations.js';
import * as dora from './013-dora.js';
import * as dashboard from './014-dashboard.js';
import * as badVersions from './015-bad-versions.js';
import * as githubDeployments from './016-github-deployments.js';
import * as grafanaAnnotations from './017-grafana-annotations.js';
import * as owedCardUpdates from './018-owed-card-updates.js';

/**
 * Every migration, by name. Written out by hand (no folder scan) so the bundle and the
 * tests see the same list; names sort in the order they must run.
 */
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001-initial': initial,
  '002-chat-messages': chatMessages,
  '003-review-decisions': reviewDecisions,
  '004-build-refs': buildRefs,
  '005-alert-messages': alertMessages,
  '006-trace-context': traceContext,
  '007-refusals': refusals,
  '008-seen-deliveries': seenDeliveries,
  '009-people': people,
  '010-canary-signals': canarySignals,
  '011-posted-messages': postedMessages,
  '012-chat-conversations': chatConversations,
  '013-dora': dora,
  '014-dashboard': dashboard,
  '015-bad-versions': badVersions,
  '016-github-deployments': githubDeployments,
  '017-grafana-annotations': grafanaAnnotations,
  '018-owed-card-updates': owedCardUpdates,
};

const provider: MigrationProvider = {
  getMigrations: async () => ({ ...MIGRATIONS }),
};

/** Own table names, so Slipway can share a database with another Kysely application. */
const MIGRATION_TABLE = 'slipway_migrations';
const MIGRATION_LOCK_TABLE = 'slipway_migrations_lock';

async function createMigrator(ctx: StoreContext): Promise<Migrator> {
  return migratorFor(ctx.db, await ctx.dialect.migrationSchema(ctx.db));
}

/**
 * Slipway's migrations over any connection to its database, with `schema` holding the
 * bookkeeping (Postgres). Tests of a migration's data move a database to the one before it.
 */
export function migratorFor<DB>(db: Kysely<DB>, schema: string | undefined): Migrator {
  return new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    migrationTableSchema: schema,
  });
}

export async function migrate(ctx: StoreContext): Promise<string[]> {
  const migrator = await createMigrator(ctx);
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const message = error instanceof Error ? error.message : String(error);
    const what = failed ? `database migration ${failed} failed` : 'could not migrate the database';
    throw new Error(`${what}: ${message}. Fix the cause and run the migrations again.`, {
      cause: error,
    });
  }
  // Debug: the caller (app start, `slipway db migrate`) reports what was applied.
  if (applied.length > 0) ctx.log?.debug({ applied }, 'applied database migrations');
  return applied;
}

export async function pendingMigrations(ctx: StoreContext): Promise<string[]> {
  const migrator = await createMigrator(ctx);
  const migrations = await migrator.getMigrations();
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
