import { describe, expect, it } from 'vitest';
import { ACTION_CLASS, ACTION_NAMES } from '../../shared/actions.ts';
import type { Effect } from '../../shared/wire.ts';
import { TOOL_NAMES } from './tool-definitions.ts';
import { catalogState, selectVisibleTools } from './visible-tools.ts';

function catalog(effectOf: (action: string) => Effect | undefined) {
  return catalogState({
    actions: ACTION_NAMES.flatMap((action) => {
      const effect = effectOf(action);
      return effect ? [{ action, class: ACTION_CLASS[action], description: action, effect, paramsSchema: {} }] : [];
    }),
  });
}

describe('selectVisibleTools', () => {
  it('hides denied actions and keeps the status tool', () => {
    const state = catalog((a) => (a.startsWith('calendar.') ? 'deny' : a === 'gmail.send' ? 'approve' : 'allow'));
    const names = selectVisibleTools(state).map((t) => t.name);
    expect(names).toContain('mail_send');
    expect(names).toContain('mail_proposal_status');
    expect(names.filter((n) => n.startsWith('calendar_'))).toEqual([]);
  });

  it('hides actions the catalogue does not list', () => {
    const names = selectVisibleTools(catalog((a) => (a === 'gmail.search' ? 'allow' : undefined))).map((t) => t.name);
    expect(names).toEqual(['mail_search', 'mail_proposal_status']);
  });

  it('offers every tool when the catalogue is unavailable or hiding is off', () => {
    expect(selectVisibleTools({ state: 'unavailable', reason: 'down' }).map((t) => t.name)).toEqual(TOOL_NAMES);
    expect(
      selectVisibleTools(
        catalog(() => 'deny'),
        false,
      ).map((t) => t.name),
    ).toEqual(TOOL_NAMES);
  });
});
