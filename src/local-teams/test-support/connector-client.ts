import type { LocalTeams } from '../index.js';

/** Plain fetch against the double's Connector API, with a token from its token endpoint. */

export interface ConnectorAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the connector answered
  body: any;
}

export function connectorClient(teams: LocalTeams) {
  let token: string | undefined;
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    raw?: string,
  ): Promise<ConnectorAnswer> {
    token ??= await teams.requestToken();
    const res = await fetch(`${teams.serviceUrl}${path.replace(/^\//, '')}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(raw !== undefined || body !== undefined ? { body: raw ?? JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
  };
}

/** A card with an approve button, as Slipway posts them. */
export function approvalCard(title: string, verb: string | null = 'approve') {
  return {
    type: 'AdaptiveCard',
    version: '1.5',
    body: [{ type: 'TextBlock', text: title, wrap: true }],
    actions: [
      {
        type: 'Action.Execute',
        title: 'Approve',
        ...(verb === null ? {} : { verb }),
        data: { deployment: 42 },
      },
    ],
  };
}

export const cardMessage = (card: unknown) => ({
  type: 'message',
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
});
