/**
 * Platform-neutral views: pure functions from core data to a MessageView. Text is Slack-style
 * mrkdwn with everything typed by people escaped; labels and confirm dialogs are plain text.
 */
export {
  type ApprovalRequest,
  type ApprovalRole,
  approvalRequestView,
  settledApprovalView,
  type Verdict,
  verdictLine,
  verdictView,
} from '../../features/approvals/view.js';
export {
  promotionView,
  REJECT_REASON,
  type ReviewOutcome,
  rejectReasonModal,
  reviewClosedView,
  reviewRejectedOwnerView,
  reviewSettledView,
  reviewVerdictView,
} from '../../features/review/view.js';
export { acceptedView, lockView, refusalView, usageView } from './answers.js';
export {
  type DeploymentViewOptions,
  deliveryQuestionView,
  deploymentTitle,
  deploymentView,
  rollbackAction,
  stateLabel,
  toneOf,
} from './deployment.js';
export { historyView, statusView } from './reports.js';
export { escapeText, mention, unescapeText } from './text.js';
