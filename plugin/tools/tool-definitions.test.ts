import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, ActionParamSchemas } from '../../shared/actions.ts';
import { STATUS_TOOL_NAME, TOOL_DEFINITIONS, TOOL_NAMES, toolParametersJsonSchema } from './tool-definitions.ts';

// A valid example call for every tool, so each strict schema can be probed with extra keys.
const EXAMPLES: Record<string, Record<string, unknown>> = {
  mail_search: { query: 'from:bob' },
  mail_get: { messageId: 'm1' },
  mail_thread_get: { threadId: 't1' },
  mail_attachment: { messageId: 'm1', attachmentId: 'a1' },
  mail_labels_list: {},
  mail_drafts_list: {},
  calendar_events: {},
  calendar_event: { calendarId: 'primary', eventId: 'e1' },
  mail_modify_labels: { messageId: 'm1', add: ['Later'] },
  mail_archive: { messageIds: ['m1'] },
  mail_mark_read: { messageIds: ['m1'] },
  mail_mark_unread: { messageIds: ['m1'] },
  mail_trash: { messageIds: ['m1'] },
  mail_draft_create: { to: ['a@example.com'], subject: 's', body: 'b' },
  mail_draft_update: { draftId: 'd1', subject: 's2' },
  mail_draft_send: { draftId: 'd1' },
  mail_draft_delete: { draftId: 'd1' },
  mail_send: { to: ['a@example.com'], subject: 's', body: 'b' },
  mail_reply: { messageId: 'm1', body: 'thanks' },
  mail_forward: { messageId: 'm1', to: ['a@example.com'] },
  calendar_create: {
    calendarId: 'primary',
    summary: 'Lunch',
    start: '2026-11-23T12:00:00Z',
    end: '2026-11-23T13:00:00Z',
  },
  calendar_update: { calendarId: 'primary', eventId: 'e1', summary: 'Later lunch' },
  calendar_delete: { calendarId: 'primary', eventId: 'e1' },
  calendar_respond: { calendarId: 'primary', eventId: 'e1', response: 'accepted' },
  mail_proposal_status: { proposalId: 'prp_1', waitSeconds: 5 },
};

describe('tool definitions', () => {
  it('has one tool per catalogue action plus the status tool', () => {
    const actions = TOOL_DEFINITIONS.flatMap((t) => (t.kind === 'action' ? [t.action] : []));
    expect([...actions].sort()).toEqual([...ACTION_NAMES].sort());
    expect(TOOL_NAMES).toContain(STATUS_TOOL_NAME);
    expect(new Set(TOOL_NAMES).size).toBe(TOOL_NAMES.length);
    expect(Object.keys(EXAMPLES).sort()).toEqual([...TOOL_NAMES].sort());
  });

  it.each(TOOL_DEFINITIONS.map((t) => [t.name, t] as const))('%s accepts a valid call', (name, tool) => {
    expect(tool.inputSchema.safeParse(EXAMPLES[name]).success).toBe(true);
    expect(tool.inputSchema.safeParse({ ...EXAMPLES[name], justification: 'the user asked' }).success).toBe(
      tool.kind === 'action',
    );
  });

  // SECURITY: no parameter may redirect the plugin or swap its key.
  it.each(
    TOOL_DEFINITIONS.flatMap((t) =>
      ['socketPath', 'url', 'key', 'agentKey', 'baseUrl', 'authorization'].map((k) => [t.name, k, t] as const),
    ),
  )('%s rejects the parameter %s', (name, key, tool) => {
    const result = tool.inputSchema.safeParse({ ...EXAMPLES[name], [key]: '/tmp/evil.sock' });
    expect(result.success).toBe(false);
    expect(toolParametersJsonSchema(tool)).toMatchObject({ additionalProperties: false });
    expect(Object.keys(toolParametersJsonSchema(tool).properties as object)).not.toContain(key);
  });

  it('parameters match the shared schemas plus justification', () => {
    for (const tool of TOOL_DEFINITIONS) {
      if (tool.kind !== 'action') continue;
      const shared = Object.keys(ActionParamSchemas[tool.action].shape);
      expect(Object.keys(tool.inputSchema.shape).sort()).toEqual([...shared, 'justification'].sort());
    }
  });

  it('descriptions of action tools say what happens when approval is needed', () => {
    for (const tool of TOOL_DEFINITIONS) {
      if (tool.kind === 'action') {
        expect(tool.description).toContain('approval');
        expect(tool.description).toContain(STATUS_TOOL_NAME);
      }
      expect(tool.replaySafe).toBe(!tool.sideEffecting);
    }
  });
});
