// The action specs and the gog table: every action complete, every derived table in step with its spec.
// The type-level half of these checks runs in `npm run typecheck`: each @ts-expect-error below must be an error.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ACTION_CLASS,
  ACTION_NAMES,
  ACTIONS,
  type ActionName,
  type ActionSpec,
  OUTBOUND_ACTIONS,
  SEND_ACTIONS,
} from '../../shared/index.ts';
import { GOG_COMMANDS, type GogCommand } from './commands.ts';

// A sample spec for an action that does not exist yet: a Gmail filter that forwards (it reaches whoever
// the filter forwards to). Written as the catalogue would hold it, it type-checks.
const sampleFilterSpec = {
  params: z.strictObject({ from: z.string(), forwardTo: z.string() }),
  result: z.object({ filterId: z.string() }),
  class: 'organise',
  reaches: 'mailbox-rules',
  delivers: false,
  outsideContent: false,
  tool: 'mail_filter_create',
  label: 'Create filter',
  description: 'Create a Gmail filter.',
} satisfies ActionSpec;

// @ts-expect-error -- a spec that leaves out what the action reaches does not compile.
const missingReach: ActionSpec = {
  params: z.strictObject({}),
  result: z.object({}),
  class: 'organise',
  delivers: false,
  outsideContent: false,
  tool: 'x',
  label: 'x',
  description: 'x',
};

// @ts-expect-error -- the gog table must have an entry for every action (here gmail.search is missing).
const incompleteTable: { readonly [A in ActionName]: GogCommand<A> } = (({ 'gmail.search': _, ...rest }) => rest)(
  GOG_COMMANDS,
);

const typedArgs: GogCommand<'gmail.get'> = {
  paths: [['gmail', 'get']],
  // @ts-expect-error -- an argv builder sees its own action's params: gmail.get has no `query`.
  args: (p) => ({ positionals: [p.query] }),
  normalise: () => ({ message: {} as never }),
};

describe('action specs', () => {
  it('the type-level checks above are in the build', () => {
    expect(sampleFilterSpec.reaches).toBe('mailbox-rules');
    expect([missingReach, incompleteTable, typedArgs].every((x) => x !== undefined)).toBe(true);
  });

  it('name each action by its canonical gog command path', () => {
    for (const action of ACTION_NAMES) {
      expect(GOG_COMMANDS[action].paths[0]?.join('.')).toBe(action);
    }
  });

  it('derive the send, outbound and class tables from the specs', () => {
    expect([...SEND_ACTIONS].sort()).toEqual(['gmail.drafts.send', 'gmail.forward', 'gmail.reply', 'gmail.send']);
    expect([...OUTBOUND_ACTIONS].sort()).toEqual([
      'calendar.create',
      'calendar.delete',
      'calendar.respond',
      'calendar.update',
      'gmail.drafts.create',
      'gmail.drafts.send',
      'gmail.drafts.update',
      'gmail.forward',
      'gmail.reply',
      'gmail.send',
    ]);
    for (const action of ACTION_NAMES) expect(ACTION_CLASS[action]).toBe(ACTIONS[action].class);
  });

  it('never let an action that reaches people be a read or deliver without reaching anyone', () => {
    for (const action of ACTION_NAMES) {
      const spec = ACTIONS[action];
      if (spec.class === 'read') expect(spec.reaches).toBe('none');
      if (spec.delivers) expect(spec.reaches).not.toBe('none');
    }
  });

  it('give every action a distinct tool name', () => {
    const names = ACTION_NAMES.map((a) => ACTIONS[a].tool);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
  });
});
