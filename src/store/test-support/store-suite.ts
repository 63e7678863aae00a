import { afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { createStore } from '../index.js';
import type { Store } from '../types.js';
import { acceptCases } from './accept-cases.js';
import { alertCases } from './alert-cases.js';
import { badVersionCases } from './bad-version-cases.js';
import { canarySignalCases } from './canary-signal-cases.js';
import { chatConversationCases } from './chat-conversation-cases.js';
import { deliveryCases } from './delivery-cases.js';
import { deploymentCases } from './deployment-cases.js';
import type { StoreSuiteTarget, SuiteContext } from './fixtures.js';
import { githubDeploymentCases } from './github-deployment-cases.js';
import { grafanaAnnotationCases } from './grafana-annotation-cases.js';
import { approvalAndLockCases } from './lock-cases.js';
import { migrationCases } from './migration-cases.js';
import { owedCardCases } from './owed-card-cases.js';
import { peopleCases } from './people-cases.js';
import { postedMessageCases } from './posted-message-cases.js';
import { postedMigrationCases } from './posted-migration-cases.js';
import { queryCases } from './query-cases.js';
import { queueCases } from './queue-cases.js';
import { refusalCases } from './refusal-cases.js';
import { reviewCases } from './review-cases.js';

export type { StoreSuiteTarget } from './fixtures.js';

/**
 * Registers the Store contract tests for one database. Every adapter runs the same suite;
 * each test starts on an empty, migrated database.
 */
export function storeSuite(target: StoreSuiteTarget): void {
  describe(`Store on ${target.name}`, () => {
    const opened: Store[] = [];
    const current: { url: string; store: Store | undefined } = { url: '', store: undefined };

    function open(url: string): Store {
      const store = createStore(url, { poolSize: 4 });
      opened.push(store);
      return store;
    }

    const reused = { url: undefined as string | undefined };

    beforeAll(async () => {
      if (!target.reset) return;
      reused.url = await target.freshUrl();
      const store = createStore(reused.url);
      await store.migrate();
      await store.close();
    });

    beforeEach(async () => {
      if (target.reset && reused.url) {
        await target.reset(reused.url);
        current.url = reused.url;
        current.store = open(current.url);
        return;
      }
      current.url = await target.freshUrl();
      current.store = open(current.url);
      await current.store.migrate();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    const ctx: SuiteContext = {
      target,
      store: () => {
        if (!current.store) throw new Error('the store exists only inside a test');
        return current.store;
      },
      peers: async (n) => {
        const first = ctx.store();
        if (!target.shared) return Array.from({ length: n }, () => first);
        return [first, ...Array.from({ length: n - 1 }, () => open(current.url))];
      },
      openFresh: async () => {
        const url = await target.freshUrl();
        return { url, store: open(url) };
      },
      open,
    };

    migrationCases(ctx);
    deploymentCases(ctx);
    acceptCases(ctx);
    queryCases(ctx);
    queueCases(ctx);
    approvalAndLockCases(ctx);
    postedMessageCases(ctx);
    postedMigrationCases(ctx);
    reviewCases(ctx);
    alertCases(ctx);
    refusalCases(ctx);
    deliveryCases(ctx);
    peopleCases(ctx);
    canarySignalCases(ctx);
    chatConversationCases(ctx);
    badVersionCases(ctx);
    grafanaAnnotationCases(ctx);
    owedCardCases(ctx);
    githubDeploymentCases(ctx);
  });
}
