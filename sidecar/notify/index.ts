// Notifications: tells the owner out of band that something waits for them (command, signed webhook, ntfy).
export { createNotifier, type Notifier, type NotifierOptions, type SinkHealth } from './notifier.ts';
export {
  buildPendingPayload,
  cardLink,
  type NotificationPayload,
  type NotifyEvent,
  type PayloadOptions,
  type PendingFacts,
  summaryLine,
} from './payload.ts';
export { SIGNATURE_HEADER, signWebhookBody, TIMESTAMP_HEADER, verifyWebhookSignature } from './signature.ts';
export { createSink, type DeliveryContext, DeliveryFailure, NotifyError, type Sink, sinkSecretFiles } from './sinks.ts';
