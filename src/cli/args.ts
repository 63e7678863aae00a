/**
 * Turns operator-style arguments into the chat grammar, so the CLI and chat share one parser:
 * `deploy web 1.2.3 --to staging --force --reason "hotfix"` → `deploy! web 1.2.3 to staging -- hotfix`.
 * Plain grammar (`deploy web@1.2.3 to staging`) passes through unchanged.
 */
export interface OperatorArgs {
  text: string;
  json: boolean;
  wait: boolean;
  configPath: string | undefined;
}

const WORD_FLAGS: Record<string, string> = {
  '--to': 'to',
  '--in': 'in',
  '--for': 'for',
  '--version': 'to',
};

export function toGrammar(verb: string, args: string[]): OperatorArgs {
  const words: string[] = [];
  let force = false;
  let json = false;
  let wait = true;
  let reason: string | null = null;
  let configPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => inline ?? args[++i] ?? '';
    if (flag === '--force' || flag === '-f') force = true;
    else if (flag === '--json') json = true;
    else if (flag === '--no-wait') wait = false;
    else if (flag === '--reason' || flag === '-m') reason = value();
    else if (flag === '--config' || flag === '-c') configPath = value();
    else if (flag === '--version' && verb === 'rollback') words.push('to', value());
    else if (flag in WORD_FLAGS && !(flag === '--version' && verb !== 'rollback'))
      words.push(WORD_FLAGS[flag] ?? '', value());
    else if (flag === '--version') words.push(value());
    else words.push(arg);
  }
  let text = `${verb}${force ? '!' : ''} ${words.join(' ')}`.trim();
  if (reason) text = `${text} -- ${reason}`;
  return { text, json, wait, configPath };
}
