import { describe, expect, it } from 'vitest';
import { alertSubject, deploymentSubject } from '../../core/message-subject.js';
import { newDeploymentRow } from '../rows.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';
import { openRawDatabase, type RawDatabase } from './raw-database.js';

/**
 * Migration 011 moves the messages of `chat_messages` and `alert_messages` into
 * `posted_messages`, and the alert groups into `alert_groups`. Only for targets that outlive a
 * connection: the test writes the old tables through a connection of its own.
 */
export function postedMigrationCases(ctx: SuiteContext): void {
  if (!ctx.target.shared) return;
  describe('migration 011-posted-messages', () => {
    const at = timeline();
    const ms = (offset: number) => at(offset).getTime();

    async function before(raw: RawDatabase, deploymentId: string) {
      const chat = [
        message(deploymentId, 'main', 'C-WEB', '1.1', 0, 1),
        message(deploymentId, 'origin', 'C-DEPLOYS', '1.2', 0, 2),
        message(deploymentId, 'approver:U1', 'D-U1', '2.1', 1, 3),
        // A reservation whose process died: its claim time is its updated_at.
        message(deploymentId, 'qa:teams:aad-7', 'teams:a:1x', null, 2, 40),
        message(deploymentId, 'owner:alice', 'D-ALICE', '3.1', 3, 4),
      ];
      const group = { group_key: '{}:{alertname="X"}', state: '{"alerts":[]}', revision: 3 };
      const alerts = [
        { ...group, group_id: 'ag-1', episode: 1, deployment_id: deploymentId, channel: 'C-WEB' },
        { ...group, group_id: 'ag-1', episode: 2, deployment_id: null, channel: 'C-WEB' },
        { ...group, group_id: 'ag-2', episode: 1, deployment_id: null, channel: null },
      ].map((row, i) => ({
        ...row,
        ts: i === 0 ? '4.1' : null,
        claimed_at: row.channel ? ms(10 + i) : null,
        created_at: ms(5 + i),
        updated_at: ms(20 + i),
      }));
      await raw.db.insertInto('chat_messages').values(chat).execute();
      await raw.db.insertInto('alert_messages').values(alerts).execute();
      return { chat, alerts };
    }

    function message(
      deploymentId: string,
      purpose: string,
      channel: string,
      ts: string | null,
      created: number,
      updated: number,
    ) {
      return {
        deployment_id: deploymentId,
        purpose,
        channel,
        ts,
        created_at: ms(created),
        updated_at: ms(updated),
      };
    }

    it('moves every message into posted_messages and the groups into alert_groups, and back', async () => {
      const { url, store } = await ctx.openFresh();
      const raw = openRawDatabase(url);
      try {
        await raw.migrateTo('010-canary-signals');
        // Written as the schema stood at 010: the store writes the columns of later migrations.
        const {
          committed_at: _later,
          commit_sha: _laterStill,
          ...deployment
        } = newDeploymentRow(newDeployment(), 'succeeded', at(0));
        await raw.db.insertInto('deployments').values(deployment).execute();
        const old = await before(raw, deployment.id);
        // Later migrations follow it; 011 is the first of what was pending.
        expect((await store.migrate())[0]).toBe('011-posted-messages');

        const subject = deploymentSubject(deployment.id);
        const posted = await store.listPostedMessages(subject);
        expect(posted.map((m) => [m.purpose, m.address, m.channel, m.ts])).toEqual([
          ['main', 'C-WEB', 'C-WEB', '1.1'],
          ['origin', 'C-DEPLOYS', 'C-DEPLOYS', '1.2'],
          ['approver:U1', 'dm:U1', 'D-U1', '2.1'],
          ['qa:teams:aad-7', 'dm:teams:aad-7', 'teams:a:1x', null],
          ['owner:alice', 'dm:alice', 'D-ALICE', '3.1'],
        ]);
        expect(posted[3]).toMatchObject({ claimedAt: at(40), createdAt: at(2) });
        expect(posted[0]).toMatchObject({ subject, createdAt: at(0), updatedAt: at(1) });

        expect(await store.listPostedMessages(alertSubject('ag-1', 1))).toEqual([
          {
            subject: alertSubject('ag-1', 1),
            purpose: 'main',
            address: 'C-WEB',
            channel: 'C-WEB',
            ts: '4.1',
            claimedAt: at(10),
            createdAt: at(10),
            updatedAt: at(20),
          },
        ]);
        const reserved = await store.listPostedMessages(alertSubject('ag-1', 2));
        expect(reserved).toMatchObject([{ ts: null, claimedAt: at(11) }]);
        expect(await store.listPostedMessages(alertSubject('ag-2', 1))).toEqual([]);
        expect(await store.findPostedMessages({ channel: 'C-WEB', ts: '4.1' })).toHaveLength(1);
        expect(await store.latestAlertGroup('ag-1')).toEqual({
          groupId: 'ag-1',
          episode: 2,
          groupKey: '{}:{alertname="X"}',
          state: { alerts: [] },
          revision: 3,
          deploymentId: null,
          createdAt: at(6),
          updatedAt: at(21),
        });
        expect(await store.listAlertGroups({ deploymentId: deployment.id })).toMatchObject([
          { groupId: 'ag-1', episode: 1 },
        ]);
        await expect(raw.db.selectFrom('chat_messages').selectAll().execute()).rejects.toThrow();
        await expect(raw.db.selectFrom('alert_messages').selectAll().execute()).rejects.toThrow();

        // Down gives the old tables back as they were.
        await raw.migrateTo('010-canary-signals');
        const chat = await raw.db.selectFrom('chat_messages').selectAll().execute();
        expect(sorted(chat)).toEqual(sorted(old.chat));
        const alerts = await raw.db.selectFrom('alert_messages').selectAll().execute();
        expect(sorted(alerts)).toEqual(sorted(old.alerts));
      } finally {
        await raw.close();
      }
    });

    it('deletes the messages of a deleted deployment or alert group episode', async () => {
      const { url, store } = await ctx.openFresh();
      await store.migrate();
      const raw = openRawDatabase(url);
      try {
        const { deployment } = await store.createDeployment(newDeployment(), 'succeeded', {
          actor: 'a',
        });
        const subject = deploymentSubject(deployment.id);
        const group = { groupKey: 'k', state: {}, deploymentId: deployment.id, revision: 0 };
        await store.saveAlertGroup({ ...group, groupId: 'ag-1', episode: 1 });
        const alert = alertSubject('ag-1', 1);
        for (const s of [subject, alert]) {
          await store.reservePostedMessage({
            subject: s,
            purpose: 'main',
            address: 'C-WEB',
            channel: 'C-WEB',
          });
        }
        await raw.db.deleteFrom('deployments').where('id', '=', deployment.id).execute();
        expect(await store.listPostedMessages(subject)).toEqual([]);
        // The group outlives the deployment it was tied to, and keeps its message.
        expect(await store.latestAlertGroup('ag-1')).toMatchObject({ deploymentId: null });
        expect(await store.listPostedMessages(alert)).toHaveLength(1);
        await raw.db.deleteFrom('alert_groups').where('group_id', '=', 'ag-1').execute();
        expect(await store.listPostedMessages(alert)).toEqual([]);
      } finally {
        await raw.close();
      }
    });
  });
}

/** Rows in the order of their key (a chat message's purpose, an alert group's id and episode). */
function sorted(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const key = (row: Record<string, unknown>) =>
    String(row.purpose ?? `${row.group_id}#${row.episode}`);
  return [...rows].sort((a, b) => key(a).localeCompare(key(b)));
}
