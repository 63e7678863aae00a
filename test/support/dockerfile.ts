/**
 * Just enough of a Dockerfile reader to rehearse an image's stages without Docker: stages,
 * their instructions (continuation lines joined, comments dropped), ARG defaults before the
 * first FROM, and the exec-form (JSON) arguments of ENTRYPOINT and CMD
 * (docs.docker.com/reference/dockerfile/).
 */
export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
  stage(name: string): Stage;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const { op, args } of logicalLines(text)) {
    const current = stages.at(-1);
    if (op === 'FROM') {
      const [image = '', , name] = args.split(/\s+/);
      const from = image.replace(/\$\{(\w+)\}/g, (_, arg: string) => globalArgs.get(arg) ?? '');
      stages.push({ name: name ?? String(stages.length), from, instructions: [] });
    } else if (!current && op === 'ARG') {
      const [key = '', value = ''] = args.split('=', 2);
      globalArgs.set(key, value);
    } else if (current) {
      current.instructions.push({ op, args });
    }
  }
  return {
    stages,
    stage(name) {
      const found = stages.find((s) => s.name === name);
      if (!found) throw new Error(`the Dockerfile has no stage "${name}"`);
      return found;
    },
  };
}

function* logicalLines(text: string): Generator<Instruction> {
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    // Comment lines end nothing: inside a continued instruction they are simply dropped.
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    pending += `${line.endsWith('\\') ? line.slice(0, -1) : line} `;
    if (line.endsWith('\\')) continue;
    const match = /^(\w+)\s+(.*)$/s.exec(pending.trim());
    pending = '';
    if (match?.[1] && match[2] !== undefined) yield { op: match[1].toUpperCase(), args: match[2] };
  }
}

/** Instructions of one kind in a stage. */
export function all(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

/** The exec form `["node", "x.js"]` of ENTRYPOINT or CMD. */
export function execForm(stage: Stage, op: 'ENTRYPOINT' | 'CMD'): string[] {
  const args = all(stage, op).at(-1);
  if (!args) throw new Error(`stage ${stage.name} has no ${op}`);
  return JSON.parse(args) as string[];
}

/** ENV KEY=value pairs (the `KEY=value` form, several per instruction). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of all(stage, 'ENV')) {
    for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      if (m[1] && m[2]) env[m[1]] = m[2].replace(/^"|"$/g, '');
    }
  }
  return env;
}

export interface Copy {
  from: string | null;
  sources: string[];
  dest: string;
}

/** COPY instructions: `--from=stage` or the build context, sources and destination. */
export function copiesOf(stage: Stage): Copy[] {
  return all(stage, 'COPY').map((args) => {
    const words = args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length) ?? null;
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = paths.pop() ?? '';
    return { from, sources: paths, dest };
  });
}
