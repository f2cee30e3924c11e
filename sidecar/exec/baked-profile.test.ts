import { describe, expect, it } from 'vitest';
import { type ActionName, SEND_ACTIONS } from '../../shared/index.ts';
import { bakedProfileBlocks, compareBakedProfile } from './baked-profile.ts';

describe('bakedProfileBlocks', () => {
  it.each([
    ['agent-safe', 'gmail.search', false],
    ['agent-safe', 'gmail.messages.modify', false],
    ['agent-safe', 'gmail.drafts.create', false],
    ['agent-safe', 'gmail.drafts.send', true],
    ['agent-safe', 'gmail.reply', true],
    ['agent-safe', 'gmail.trash', true],
    ['agent-safe', 'calendar.create', false],
    ['agent-safe', 'calendar.respond', true],
    ['gog-agent-safe', 'gmail.send', true],
    ['readonly', 'gmail.archive', true],
    ['readonly', 'calendar.events', false],
    ['readonly', 'gmail.messages.modify', true],
  ] as const)('%s blocks %s: %s', (profile, action, blocked) => {
    expect(bakedProfileBlocks(profile, action)).toBe(blocked);
  });

  it('both presets block every send-class action', () => {
    for (const action of SEND_ACTIONS) {
      expect(bakedProfileBlocks('agent-safe', action)).toBe(true);
      expect(bakedProfileBlocks('readonly', action)).toBe(true);
    }
  });

  it('knows nothing about other profiles', () => {
    expect(bakedProfileBlocks('my-team', 'gmail.search')).toBe('unknown');
  });
});

describe('compareBakedProfile', () => {
  it('errors name each action the policy offers but gog refuses', () => {
    const effect = (a: ActionName) => (a === 'gmail.send' ? 'approve' : a === 'calendar.delete' ? 'allow' : 'deny');
    const { errors } = compareBakedProfile('agent-safe', effect);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('gmail.send');
    expect(errors[1]).toContain('calendar.delete');
  });

  it('warns where the profile allows what the policy denies', () => {
    const { errors, warnings } = compareBakedProfile('readonly', () => 'deny');
    expect(errors).toEqual([]);
    expect(warnings.some((w) => w.includes('gmail.search'))).toBe(true);
    expect(warnings.some((w) => w.includes('gmail.send'))).toBe(false);
  });

  it('a policy matching the profile is clean', () => {
    const effect = (a: ActionName) => (bakedProfileBlocks('agent-safe', a) === true ? 'deny' : 'allow');
    expect(compareBakedProfile('agent-safe', effect)).toEqual({ errors: [], warnings: [] });
  });

  it('an unknown profile is one warning, never a guess', () => {
    expect(compareBakedProfile('custom', () => 'allow')).toEqual({
      errors: [],
      warnings: [expect.stringContaining('"custom"')],
    });
  });
});
