import { type Kysely, sql } from 'kysely';
import { up as createChatMessages } from './002-chat-messages.js';
import { up as createAlertMessages } from './005-alert-messages.js';

/**
 * One table for every message Slipway posted and keeps in place (`posted_messages`), instead of
 * one for deployments (`chat_messages`) and the message columns of `alert_messages`; the alert
 * groups keep their merged state in a table of their own (`alert_groups`).
 *
 * A message is keyed by its subject (a deployment id, or `alert:<group>:<episode>`), its purpose
 * (`main`, `origin`, `approver:<user>`, …) and its address: where Slipway sent it, known before
 * posting. For a channel message that is the channel, so one subject and purpose can have a
 * message in several channels (a card in a Slack channel and in a Teams channel); for a direct
 * message it is `dm:<user>`, because the conversation is known only once opened. A row is
 * written before the message is posted (`ts` NULL) and completed after: whoever inserts it is
 * the one poster. `deployment_id`, or `alert_group_id` and `alert_episode`, say the same subject
 * again as foreign keys, so that a deployment's or a group's messages go with it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createAlertGroups(db);
  await sql`
    insert into alert_groups
      (group_id, episode, group_key, state, revision, deployment_id, created_at, updated_at)
    select group_id, episode, group_key, state, revision, deployment_id, created_at, updated_at
    from alert_messages`.execute(db);

  await db.schema
    .createTable('posted_messages')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('ts', 'text')
    .addColumn('deployment_id', 'text', (c) => c.references('deployments.id').onDelete('cascade'))
    .addColumn('alert_group_id', 'text')
    .addColumn('alert_episode', 'integer')
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('posted_messages_pk', ['subject', 'purpose', 'address'])
    .addForeignKeyConstraint(
      'posted_messages_alert_group',
      ['alert_group_id', 'alert_episode'],
      'alert_groups',
      ['group_id', 'episode'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  // An action arrives on a message (Slack's ts, Teams' activity id): which message is it?
  await db.schema
    .createIndex('posted_messages_at')
    .on('posted_messages')
    .columns(['channel', 'ts'])
    .execute();
  // The cascade from a deleted deployment finds its messages without a scan.
  await db.schema
    .createIndex('posted_messages_deployment')
    .on('posted_messages')
    .column('deployment_id')
    .execute();

  // Direct messages were keyed by their purpose alone (`<role>:<user>`, one per person); their
  // address names that person. The roles are spelled out because SQLite and Postgres name the
  // function that finds a character differently. Only a reservation's claim time matters.
  await sql`
    insert into posted_messages
      (subject, purpose, address, channel, ts, deployment_id, claimed_at, created_at, updated_at)
    select deployment_id, purpose,
      case
        when purpose like 'approver:%' then 'dm:' || substr(purpose, 10)
        when purpose like 'qa:%' then 'dm:' || substr(purpose, 4)
        when purpose like 'owner:%' then 'dm:' || substr(purpose, 7)
        else channel
      end,
      channel, ts, deployment_id,
      case when ts is null then updated_at else created_at end,
      created_at, updated_at
    from chat_messages`.execute(db);
  // An alert group's message, where a process reserved one (the channel is set from then on).
  await sql`
    insert into posted_messages
      (subject, purpose, address, channel, ts, alert_group_id, alert_episode,
       claimed_at, created_at, updated_at)
    select 'alert:' || group_id || ':' || cast(episode as text), 'main', channel, channel, ts,
      group_id, episode,
      coalesce(claimed_at, updated_at), coalesce(claimed_at, created_at), updated_at
    from alert_messages
    where channel is not null`.execute(db);

  await db.schema.dropTable('chat_messages').execute();
  await db.schema.dropTable('alert_messages').execute();
}

/**
 * Back to 010's tables. A subject and purpose kept in several channels was one message then:
 * the oldest stays.
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  // 002 and 005 never change (a released migration is frozen): their tables are what to restore.
  await createChatMessages(db);
  // The `where` keeps SQLite from reading `on conflict` as a join's `on`.
  await sql`
    insert into chat_messages (deployment_id, purpose, channel, ts, created_at, updated_at)
    select deployment_id, purpose, channel, ts, created_at,
      case when ts is null then claimed_at else updated_at end
    from posted_messages
    where deployment_id is not null
    order by created_at
    on conflict do nothing`.execute(db);

  await createAlertMessages(db);
  await sql`
    insert into alert_messages
      (group_id, episode, group_key, state, revision, deployment_id,
       channel, ts, claimed_at, created_at, updated_at)
    select g.group_id, g.episode, g.group_key, g.state, g.revision, g.deployment_id,
      m.channel, m.ts, m.claimed_at, g.created_at, g.updated_at
    from alert_groups g
    left join posted_messages m
      on m.alert_group_id = g.group_id and m.alert_episode = g.episode and m.purpose = 'main'
      and m.created_at = (
        select min(o.created_at) from posted_messages o
        where o.alert_group_id = g.group_id and o.alert_episode = g.episode
          and o.purpose = 'main')`.execute(db);

  await db.schema.dropTable('posted_messages').execute();
  await db.schema.dropTable('alert_groups').execute();
}

async function createAlertGroups(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_groups')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('episode', 'integer', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.references('deployments.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_groups_pk', ['group_id', 'episode'])
    .execute();
  // A rollback of a deployment refreshes the alert messages tied to it.
  await db.schema
    .createIndex('alert_groups_deployment')
    .on('alert_groups')
    .column('deployment_id')
    .execute();
}
