// A received message as the content tests use it: from a partner, to the owner and a colleague, cc another partner.
import type { Message } from '../../shared/results.ts';

export const OWNER = 'owner@corp.example';

export const original = (over: Partial<Message> = {}): Message => ({
  id: 'm1',
  threadId: 't1',
  from: 'Bob Partner <bob@partner.example>',
  to: [OWNER, 'Carol <carol@corp.example>'],
  cc: ['dave@partner.example'],
  bcc: [],
  date: '2026-11-22T08:00:00Z',
  subject: 'Proposal',
  labels: ['INBOX'],
  body: 'Here is the proposal.',
  attachments: [],
  ...over,
});
