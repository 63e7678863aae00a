import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Activity } from './activities.js';
import { waitFor } from './wait.js';

/**
 * A bot small enough to read in one go, speaking raw Bot Framework activities over node:http, so
 * the Playground support is tested against nothing but the Playground:
 * - a message that mentions it (or any in the personal chat) gets a reply: an Adaptive Card saying
 *   "<text>: waiting for approval" with an `Action.Execute` button "Approve";
 * - an `adaptiveCard/action` invoke makes it update that card message (PUT) to
 *   "Approved by <name> (<id>)" without buttons, and answer the invoke with a plain message,
 *   not a card: the Playground shows an invoke's card to the clicker in place of the message's,
 *   so only the PUT can change what the page shows.
 */
export interface CardBot {
  endpoint: string;
  /** Every activity it got, oldest first. */
  received: Activity[];
  /** Its calls to the connector and their answers (status 0: none). */
  sent: { method: string; conversationId: string; status: number; id?: string }[];
  /** Waits until it got an activity matching `match`. */
  waitForActivity(
    what: string,
    match: (a: Activity) => boolean,
    timeoutMs?: number,
  ): Promise<Activity>;
  close(): Promise<void>;
}

const CARD = 'application/vnd.microsoft.card.adaptive';

export async function startCardBot(): Promise<CardBot> {
  const received: Activity[] = [];
  const sent: CardBot['sent'] = [];

  async function connector(method: 'POST' | 'PUT', a: Activity, messageId: string, card: object) {
    const conversationId = a.conversation?.id ?? '';
    const url = `${a.serviceUrl}/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(messageId)}`;
    try {
      const res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          ...(method === 'POST' ? { replyToId: messageId } : { id: messageId }),
          attachments: [{ contentType: CARD, content: card }],
        }),
      });
      const body = (await res.json().catch(() => ({}))) as { id?: string };
      sent.push({ method, conversationId, status: res.status, id: body.id });
    } catch {
      // Recorded as no answer: the test that expects the call says what it saw.
      sent.push({ method, conversationId, status: 0 });
    }
  }

  async function handle(a: Activity): Promise<{ status: number; body?: unknown }> {
    received.push(a);
    if (a.type === 'invoke' && a.name === 'adaptiveCard/action') {
      const who = `${a.from?.name} (${a.from?.id})`;
      await connector('PUT', a, String(a.replyToId), card(`Approved by ${who}`));
      return {
        status: 200,
        body: {
          statusCode: 200,
          type: 'application/vnd.microsoft.activity.message',
          value: 'Approval recorded',
        },
      };
    }
    if (
      a.type === 'message' &&
      (mentionsMe(a) || a.conversation?.conversationType === 'personal')
    ) {
      const asked = (a.text ?? '').replace(/<at>.*?<\/at>/g, '').trim();
      // Answer the Playground first, as a real bot must; reply on the side.
      void connector('POST', a, String(a.id), card(`${asked}: waiting for approval`, 'Approve'));
    }
    return { status: 200 };
  }

  const server = createServer(async (req, res) => {
    // The Playground probes the endpoint with HEAD and accepts any status.
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const answer = await handle(JSON.parse(await readBody(req)) as Activity);
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    received,
    sent,
    waitForActivity: (what, match, timeoutMs = 15_000) =>
      waitFor(what, () => received.find(match), {
        timeoutMs,
        seen: () =>
          `the bot got:\n${received.map((a) => `  ${a.type} ${a.name ?? ''} from ${a.from?.id} in ${a.conversation?.id}: ${a.text ?? ''}`).join('\n')}`,
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function mentionsMe(a: Activity): boolean {
  const recipient = (a.recipient as { id?: string } | undefined)?.id;
  const entities = (a.entities ?? []) as { type?: string; mentioned?: { id?: string } }[];
  return entities.some((e) => e.type === 'mention' && e.mentioned?.id === recipient);
}

function card(text: string, button?: string) {
  return {
    type: 'AdaptiveCard',
    version: '1.4',
    body: [{ type: 'TextBlock', text, wrap: true }],
    actions: button
      ? [{ type: 'Action.Execute', title: button, verb: 'approve', data: { button } }]
      : [],
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}
