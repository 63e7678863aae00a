import type { Deployment, Transition } from '../core/deployment.js';

/**
 * What the engine tells the world. Notifiers (chat, metrics) subscribe; a listener that throws
 * is logged by the emitter and never breaks the deployment.
 */
export type EngineEvent =
  | {
      type: 'transition';
      deployment: Deployment;
      transition: Pick<Transition, 'from' | 'to' | 'actor' | 'reason'>;
    }
  | { type: 'progress'; deployment: Deployment; text: string }
  | {
      type: 'approval';
      deployment: Deployment;
      approver: string;
      verdict: 'approve' | 'reject';
      count: number;
    }
  /** A QA verdict on a build that is on a pre-production environment (seeds/001). */
  | {
      type: 'review';
      deployment: Deployment;
      reviewer: string;
      verdict: 'approve' | 'reject';
      comment: string | null;
    }
  /** An owner promoted the reviewed build: `promoted` deploys it to the next environment. */
  | { type: 'promotion'; deployment: Deployment; promoted: Deployment; actor: string }
  /** An owner closed the review: the build goes no further. */
  | { type: 'review_closed'; deployment: Deployment; actor: string }
  | { type: 'lock'; environment: string; service: string | null; owner: string; released: boolean };

export type EngineListener = (event: EngineEvent) => void | Promise<void>;

export interface EventBus {
  on(listener: EngineListener): () => void;
  emit(event: EngineEvent): void;
}

export function createEventBus(onError: (err: unknown, event: EngineEvent) => void): EventBus {
  const listeners = new Set<EngineListener>();
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const listener of listeners) {
        try {
          Promise.resolve(listener(event)).catch((err: unknown) => onError(err, event));
        } catch (err) {
          onError(err, event);
        }
      }
    },
  };
}
