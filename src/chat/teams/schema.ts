import { z } from 'zod';

/**
 * The parts of a Bot Framework activity Slipway reads
 * (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference#activity-object,
 * Teams' additions in channelData: learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-basics).
 * Everything else passes through untouched.
 */
export const Account = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  aadObjectId: z.string().optional(),
  role: z.string().optional(),
});
export type Account = z.infer<typeof Account>;

export const Conversation = z.looseObject({
  id: z.string().min(1),
  conversationType: z.string().optional(),
  isGroup: z.boolean().optional(),
  tenantId: z.string().optional(),
});

const Mention = z.looseObject({
  type: z.literal('mention'),
  text: z.string().optional(),
  mentioned: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
});

export const Activity = z.looseObject({
  type: z.string(),
  id: z.string().optional(),
  name: z.string().optional(),
  text: z.string().optional(),
  from: Account.optional(),
  recipient: Account.optional(),
  conversation: Conversation.optional(),
  serviceUrl: z.string().optional(),
  channelId: z.string().optional(),
  replyToId: z.string().optional(),
  value: z.unknown().optional(),
  action: z.string().optional(),
  entities: z.array(z.looseObject({ type: z.string() })).optional(),
  membersAdded: z.array(Account).optional(),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string() }).optional(),
      team: z.looseObject({ id: z.string() }).optional(),
    })
    .optional(),
});
export type Activity = z.infer<typeof Activity>;

export function mentionsIn(activity: Activity): z.infer<typeof Mention>[] {
  return (activity.entities ?? []).flatMap((e) => {
    const parsed = Mention.safeParse(e);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * An `adaptiveCard/action` invoke's value: the Action.Execute that was clicked, its inputs
 * merged into `data` (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards#adaptivecardaction-invoke-activity).
 */
export const ActionInvokeValue = z.looseObject({
  action: z.looseObject({
    type: z.string().optional(),
    verb: z.string().min(1),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
  trigger: z.string().optional(),
});
export type ActionInvokeValue = z.infer<typeof ActionInvokeValue>;
