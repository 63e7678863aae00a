import {
  AnalysisRunState,
  type CanaryStep,
  type DeliveryPlan,
  formatValue,
} from '../../analysis/index.js';
import { type Deployment, isFinal } from '../../core/deployment.js';
import { formatDuration } from '../../core/duration.js';
import type { CheckSummary } from '../../engine/delivery.js';
import {
  type CanaryProgress,
  canaryProgressOf,
  type VerifyProgress,
  verifyProgressOf,
} from '../../engine/index.js';
import type { CanarySignal } from '../../store/types.js';
import { type NameOf, when } from '../format.js';
import { type Html, html } from '../html.js';

/**
 * How a deployment is judged while it goes out, as the engine stores it in `driverRef`: a
 * canary's step, weight, pause and last check (`canary`), a verification's counts and last check
 * (`verify`). The steps themselves are not stored, only how many there are: they are read from
 * the config as it is now, and shown only while their number still matches.
 */
export interface DeliveryView {
  deployment: Deployment;
  /** The service's plan for the environment, from the config now; null when it has none. */
  plan: DeliveryPlan | null;
  signals: readonly CanarySignal[];
  nameOf: NameOf;
  now: Date;
}

export function canarySection(view: DeliveryView): Html | null {
  const { deployment: d, plan, now } = view;
  const canary = canaryProgressOf(d);
  const steps = plan?.canary?.steps ?? null;
  // Before it starts, a canary is only a plan: shown while the deployment may still walk it.
  if (!canary && !(steps && d.kind === 'deploy' && !isFinal(d.state))) return null;
  const ended = isFinal(d.state) || d.state === 'rolling_back';
  const lines: (Html | string)[] = [];
  if (canary) {
    const where = canary.promoting
      ? `Promoting ${d.version} to all of ${d.service} in ${d.environment}.`
      : `${canary.weight}% of traffic to ${d.version}, step ${Math.min(canary.step + 1, canary.steps)} of ${canary.steps}.`;
    lines.push(html`<p>${ended ? 'Where it stood when it ended: ' : ''}${where}</p>`);
    if (canary.paused && !ended)
      lines.push(
        html`<p class="notice warn">${
          canary.paused.asked
            ? `Paused: ${canary.paused.reason}. Promote it, resume it (check again) or abort it.`
            : `Paused by ${view.nameOf(canary.paused.by)}: it holds ${canary.weight}% until someone resumes it.`
        }</p>`,
      );
    if (canary.nextAt && !ended)
      lines.push(html`<p>Next check ${when(new Date(canary.nextAt), now)}.</p>`);
  } else {
    lines.push(html`<p>It will go out as a canary, in these steps.</p>`);
  }
  if (steps && (!canary || steps.length === canary.steps))
    lines.push(stepList(steps, canary, ended, d.state === 'succeeded'));
  else if (steps && canary)
    lines.push(
      html`<p class="muted small">The config's canary for ${d.environment} has changed since this one started; it walks the ${canary.steps} steps it started with.</p>`,
    );
  lines.push(checks(canary?.analysis ?? null, canary?.last ?? null, now));
  lines.push(signalList(view));
  return html`<section><h2 id="canary-h">Canary</h2>${lines}</section>`;
}

export function verifySection(view: DeliveryView): Html | null {
  const { deployment: d, now } = view;
  const verify: VerifyProgress | null = verifyProgressOf(d);
  if (!verify) return null;
  const ended = d.state !== 'verifying';
  const lines: (Html | string)[] = [
    html`<p>After the rollout, ${d.version} is judged by its metrics: ${verify.passes} passing ${verify.passes === 1 ? 'check' : 'checks'} keep it.</p>`,
  ];
  if (verify.asked && !ended)
    lines.push(
      html`<p class="notice warn">No verdict: ${verify.asked}. Promote keeps it, checking again waits for more data, Cancel rolls it back.</p>`,
    );
  if (verify.nextAt && !ended)
    lines.push(html`<p>Next check ${when(new Date(verify.nextAt), now)}.</p>`);
  lines.push(checks(verify.analysis, verify.last, now));
  lines.push(signalList(view));
  return html`<section><h2 id="verify-h">Verification by metrics</h2>${lines}</section>`;
}

/** A step in words; `done`, `now` or `to come` says where the canary is, colour never alone. */
export function stepText(step: CanaryStep): string {
  switch (step.kind) {
    case 'weight':
      return `Send ${step.weight}% of traffic to the canary`;
    case 'pause':
      return `Hold for ${formatDuration(step.ms)}`;
    case 'analysis':
      return `Hold until a check of its metrics passes (every ${formatDuration(step.plan.intervalMs)})`;
  }
}

type StepStatus = 'done' | 'now' | 'to come' | 'not reached';
const STEP_TONES: Record<StepStatus, string> = {
  done: 'ok',
  now: 'info',
  'to come': 'idle',
  'not reached': 'idle',
};

/** Where step `i` stands when the canary is about to take step `at`. */
export function stepStatus(i: number, at: number, ended: boolean): StepStatus {
  if (i < at) return 'done';
  if (ended) return 'not reached';
  return i === at ? 'now' : 'to come';
}

function stepList(
  steps: readonly CanaryStep[],
  canary: CanaryProgress | null,
  ended: boolean,
  succeeded: boolean,
): Html {
  // Promotion is one more step after the configured ones; a canary that succeeded took it.
  const at = !canary ? -1 : canary.promoting ? steps.length + (succeeded ? 1 : 0) : canary.step;
  const texts = [...steps.map(stepText), 'Promote: the new version replaces the live one'];
  const items = texts.map((text, i) => {
    const status = stepStatus(i, at, ended);
    return html`<li${status === 'now' ? html` aria-current="step"` : ''}>${text} <span class="badge ${STEP_TONES[status]}">${status}</span></li>`;
  });
  return html`<ol class="steps">${items}</ol>`;
}

/** The counts so far and the metrics of the last check, as stored. */
function checks(analysis: unknown, last: CheckSummary | null, now: Date): Html {
  const counts = AnalysisRunState.safeParse(analysis);
  const parts: Html[] = [];
  if (counts.success) {
    const c = counts.data;
    parts.push(
      html`<p>Checks so far: ${c.checks} (${c.passes} passed, ${c.failures} failed, ${c.inconclusives} inconclusive, ${c.consecutiveErrors} errors in a row).</p>`,
    );
  }
  if (!last) return html`${parts}`;
  parts.push(
    html`<p>Last check ${when(new Date(last.at), now)}: <strong>${last.verdict}</strong>, ${last.message}</p>`,
  );
  if (last.metrics.length === 0) return html`${parts}`;
  const rows = last.metrics.map(
    (m) =>
      html`<tr><th scope="row" data-label="Metric">${m.name}</th><td data-label="Value">${m.value === null ? 'no data' : formatValue(m.value)}</td><td data-label="Threshold">${m.threshold}</td><td data-label="Verdict">${m.verdict}</td></tr>`,
  );
  parts.push(
    html`<div class="scroll"><table class="stack"><caption class="visually-hidden">Metrics of the last check</caption><thead><tr><th scope="col">Metric</th><th scope="col">Value</th><th scope="col">Threshold</th><th scope="col">Verdict</th></tr></thead><tbody>${rows}</tbody></table></div>`,
  );
  return html`${parts}`;
}

const SIGNAL_WORDS: Record<CanarySignal['action'], string> = {
  pause: 'paused it',
  resume: 'resumed it',
  promote: 'promoted it now',
  abort: 'aborted it',
};

function signalList(view: DeliveryView): Html | string {
  if (view.signals.length === 0) return '';
  const items = view.signals.map(
    (s) =>
      html`<li>${view.nameOf(s.actor)} ${SIGNAL_WORDS[s.action]} · ${when(s.at, view.now)}</li>`,
  );
  return html`<h3>Who steered it</h3><ul>${items}</ul>`;
}
