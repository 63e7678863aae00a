/**
 * Jobs, the queue and builds of the Jenkins double (jenkins-double.ts): their JSON as core Jenkins
 * exports it (Queue.BuildableItem and Queue.LeftItem, FreeStyleProject, FreeStyleBuild), and their
 * life: a queue item waits until it has been read `queuePolls` times, then its build writes a
 * console line every `lineMs` and ends with "Finished: RESULT" (or runs until stopped).
 */

import type { Json } from './jenkins-double-tree.js';

export type BuildResult = 'SUCCESS' | 'FAILURE' | 'UNSTABLE' | 'ABORTED' | 'NOT_BUILT';
export interface DoubleJob {
  /** Full name, folders separated by "/". */
  name: string;
  /** Declared parameters; null for a job that is not parameterized. */
  parameters: { name: string; default?: string }[] | null;
  disabled?: boolean;
}

/** How the next triggered build behaves. */
export interface BuildPlan {
  /** Reads of its queue item before it leaves the queue (default 1); Infinity: it never does. */
  queuePolls?: number;
  /** What the queue item says while it waits. */
  why?: string;
  /** Console lines after "Started by user …"; one is written every lineMs. */
  lines?: string[];
  lineMs?: number;
  result?: BuildResult;
  /** It keeps running after its lines until stopped. */
  hangs?: boolean;
}

export interface DoubleBuild {
  number: number;
  queueId: number;
  parameters: Record<string, string>;
  building: boolean;
  result: BuildResult | null;
  console: string;
}

export interface QueueEntry {
  id: number;
  job: DoubleJob;
  parameters: Record<string, string>;
  plan: BuildPlan;
  reads: number;
  inQueueSince: number;
  state: 'waiting' | 'left' | 'cancelled';
  build: BuildState | null;
}

export interface BuildState extends DoubleBuild {
  job: DoubleJob;
  timestamp: number;
  duration: number;
  bytes: Buffer;
  timer: NodeJS.Timeout | null;
}

export class JenkinsModel {
  readonly queue = new Map<number, QueueEntry>();
  /** Left items Jenkins no longer keeps (it forgets them five minutes after they leave). */
  readonly forgotten = new Set<number>();
  readonly plans: BuildPlan[] = [];
  private readonly builds = new Map<string, BuildState[]>();
  private nextQueueId = 17;

  constructor(
    private readonly user: string,
    /** Jenkins' root URL, known once the server listens. */
    private readonly root: () => string,
  ) {}

  jobUrl(job: DoubleJob): string {
    return `${this.root()}/${job.name
      .split('/')
      .map((n) => `job/${encodeURIComponent(n)}/`)
      .join('')}`;
  }

  buildsOf(job: DoubleJob): BuildState[] {
    const list = this.builds.get(job.name) ?? [];
    this.builds.set(job.name, list);
    return list;
  }

  allBuilds(): BuildState[] {
    return [...this.builds.values()].flat();
  }

  /** Queues a build, or finds the identical request still waiting (Jenkins answers it with 303). */
  enqueue(
    job: DoubleJob,
    parameters: Record<string, string>,
  ): { entry: QueueEntry; created: boolean } {
    const same = [...this.queue.values()].find(
      (q) =>
        q.job === job &&
        q.state === 'waiting' &&
        JSON.stringify(q.parameters) === JSON.stringify(parameters),
    );
    if (same) return { entry: same, created: false };
    const entry: QueueEntry = {
      id: this.nextQueueId++,
      job,
      parameters,
      plan: this.plans.shift() ?? {},
      reads: 0,
      inQueueSince: Date.now(),
      state: 'waiting',
      build: null,
    };
    this.queue.set(entry.id, entry);
    return { entry, created: true };
  }

  /** The item as a read finds it (each read of a waiting item brings its start closer). */
  read(id: number): QueueEntry | undefined {
    const entry = this.known(id);
    if (entry?.state === 'waiting') {
      entry.reads++;
      if (entry.reads > (entry.plan.queuePolls ?? 1)) this.startBuild(entry);
    }
    return entry;
  }

  known(id: number): QueueEntry | undefined {
    return this.forgotten.has(id) ? undefined : this.queue.get(id);
  }

  forgetLeft(): void {
    for (const entry of this.queue.values())
      if (entry.state !== 'waiting') this.forgotten.add(entry.id);
  }

  /** Executor.interrupt(): a running build ends ABORTED. */
  stop(b: BuildState): void {
    if (!b.building) return;
    this.append(b, `Aborted by ${this.user}\n`);
    this.finish(b, 'ABORTED');
  }

  /**
   * What progressiveText sends from byte `start`: all of it once the build ended; while it runs,
   * whole lines only and at most `maxLines` of them (stapler's LargeText). Past the end, from 0.
   */
  consoleFrom(b: BuildState, from: number, maxLines: number): { bytes: Buffer; end: number } {
    const start = b.bytes.length < from ? 0 : from;
    let end = b.bytes.length;
    if (b.building) {
      let lines = 0;
      end = start;
      while (lines < maxLines) {
        const nl = b.bytes.indexOf(0x0a, end);
        if (nl === -1) break;
        end = nl + 1;
        lines++;
      }
    }
    return { bytes: b.bytes.subarray(start, end), end };
  }

  stopTimers(): void {
    for (const b of this.allBuilds()) if (b.timer) clearTimeout(b.timer);
  }

  queueJson(entry: QueueEntry): Json {
    const parameters = Object.entries(entry.parameters).map(([name, value]) => ({
      _class: 'hudson.model.StringParameterValue',
      name,
      value,
    }));
    const common: { [key: string]: Json } = {
      actions: [
        { _class: 'hudson.model.ParametersAction', parameters },
        {
          _class: 'hudson.model.CauseAction',
          causes: [
            {
              _class: 'hudson.model.Cause$UserIdCause',
              shortDescription: `Started by user ${this.user}`,
              userId: this.user,
              userName: this.user,
            },
          ],
        },
      ],
      blocked: false,
      buildable: false,
      id: entry.id,
      inQueueSince: entry.inQueueSince,
      params: Object.entries(entry.parameters)
        .map(([k, v]) => `\n${k}=${v}`)
        .join(''),
      stuck: false,
      task: {
        _class: 'hudson.model.FreeStyleProject',
        name: entry.job.name.split('/').pop() ?? '',
        url: this.jobUrl(entry.job),
        color: 'blue',
      },
      url: `queue/item/${entry.id}/`,
      why: null,
    };
    if (entry.state === 'waiting') {
      return {
        _class: 'hudson.model.Queue$BuildableItem',
        ...common,
        buildable: true,
        why: entry.plan.why ?? 'Waiting for next available executor',
        buildableStartMilliseconds: entry.inQueueSince,
        pending: false,
        timestamp: entry.inQueueSince,
      };
    }
    const b = entry.build;
    return {
      _class: 'hudson.model.Queue$LeftItem',
      ...common,
      cancelled: entry.state === 'cancelled',
      executable: b
        ? {
            _class: 'hudson.model.FreeStyleBuild',
            number: b.number,
            url: `${this.jobUrl(b.job)}${b.number}/`,
          }
        : null,
    };
  }

  buildJson(b: BuildState): Json {
    return {
      _class: 'hudson.model.FreeStyleBuild',
      actions: [
        {
          _class: 'hudson.model.ParametersAction',
          parameters: Object.entries(b.parameters).map(([name, value]) => ({
            _class: 'hudson.model.StringParameterValue',
            name,
            value,
          })),
        },
        {
          _class: 'hudson.model.CauseAction',
          causes: [
            {
              _class: 'hudson.model.Cause$UserIdCause',
              shortDescription: `Started by user ${this.user}`,
            },
          ],
        },
        {},
      ],
      artifacts: [],
      building: b.building,
      description: null,
      displayName: `#${b.number}`,
      duration: b.building ? 0 : b.duration,
      estimatedDuration: 1000,
      executor: null,
      fullDisplayName: `${b.job.name.split('/').join(' » ')} #${b.number}`,
      id: String(b.number),
      keepLog: false,
      number: b.number,
      queueId: b.queueId,
      result: b.result,
      timestamp: b.timestamp,
      url: `${this.jobUrl(b.job)}${b.number}/`,
      builtOn: '',
      changeSet: { _class: 'hudson.scm.EmptyChangeLogSet', items: [], kind: null },
      culprits: [],
    };
  }

  jobJson(job: DoubleJob): Json {
    const list = [...this.buildsOf(job)].reverse();
    return {
      _class: 'hudson.model.FreeStyleProject',
      actions: [],
      description: '',
      displayName: job.name.split('/').pop() ?? '',
      fullName: job.name,
      name: job.name.split('/').pop() ?? '',
      url: this.jobUrl(job),
      buildable: !job.disabled,
      builds: list.map((b) => this.buildJson(b)),
      color: 'blue',
      inQueue: [...this.queue.values()].some((q) => q.job === job && q.state === 'waiting'),
      nextBuildNumber: list.length + 1,
      property: job.parameters
        ? [
            {
              _class: 'hudson.model.ParametersDefinitionProperty',
              parameterDefinitions: job.parameters.map((p) => ({
                _class: 'hudson.model.StringParameterDefinition',
                name: p.name,
                defaultParameterValue: {
                  _class: 'hudson.model.StringParameterValue',
                  name: p.name,
                  value: p.default ?? '',
                },
                type: 'StringParameterDefinition',
              })),
            },
          ]
        : [],
    };
  }

  private append(b: BuildState, text: string) {
    b.bytes = Buffer.concat([b.bytes, Buffer.from(text)]);
    b.console = b.bytes.toString('utf8');
  }

  private finish(b: BuildState, result: BuildResult) {
    if (!b.building) return;
    if (b.timer) clearTimeout(b.timer);
    b.timer = null;
    this.append(b, `Finished: ${result}\n`);
    b.result = result;
    b.building = false;
    b.duration = Math.max(1, Date.now() - b.timestamp);
  }

  private startBuild(entry: QueueEntry) {
    const list = this.buildsOf(entry.job);
    const b: BuildState = {
      job: entry.job,
      number: list.length + 1,
      queueId: entry.id,
      parameters: entry.parameters,
      building: true,
      result: null,
      console: '',
      timestamp: Date.now(),
      duration: 0,
      bytes: Buffer.alloc(0),
      timer: null,
    };
    list.push(b);
    entry.state = 'left';
    entry.build = b;
    this.append(
      b,
      `Started by user ${this.user}\nRunning as SYSTEM\nBuilding in workspace /var/jenkins_home/workspace/${entry.job.name}\n`,
    );
    const lines = [...(entry.plan.lines ?? ['+ ./deploy.sh'])];
    const lineMs = entry.plan.lineMs ?? 20;
    const tick = () => {
      const line = lines.shift();
      if (line !== undefined) {
        this.append(b, `${line}\n`);
        b.timer = setTimeout(tick, lineMs);
        return;
      }
      b.timer = null;
      if (!entry.plan.hangs) this.finish(b, entry.plan.result ?? 'SUCCESS');
    };
    b.timer = setTimeout(tick, lineMs);
  }
}
