import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, type ActionName } from '../../shared/index.ts';
import { checkCommand, compileCommandTree } from './command-rules.ts';
import { evaluatePolicy, policyDeniesAllSends } from './evaluate.ts';
import { loadPolicy } from './load.ts';

const POLICIES = join(import.meta.dirname, '..', '..', 'policies');
const profile = (name: string) => loadPolicy(join(POLICIES, `${name}.yaml`));
const NO_LOCK = { global: null, principal: null };

describe('command rules (gog safety-profile semantics)', () => {
  const rules = compileCommandTree({
    gmail: { search: true, drafts: { create: true, send: false }, send: false },
    calendar: true,
  });

  it.each([
    ['gmail.search', false, 'commands.gmail.search'],
    ['gmail.drafts.create', false, 'commands.gmail.drafts.create'],
    ['gmail.drafts.send', true, 'commands.gmail.drafts.send'],
    ['gmail.send', true, 'commands.gmail.send'],
    ['gmail.get', true, 'commands.default_deny'],
    ['calendar.create', false, 'commands.calendar'],
    ['GMAIL.SEARCH', false, 'commands.gmail.search'],
  ])('%s → blocked=%s by %s', (action, blocked, rule) => {
    expect(checkCommand(rules, action)).toEqual({ blocked, rule });
  });

  it('lets deny win over a parent allow whatever the order', () => {
    const a = compileCommandTree({ gmail: true, calendar: { delete: false } });
    const b = compileCommandTree({ calendar: { delete: false }, gmail: true });
    expect(checkCommand(a, 'calendar.delete').blocked).toBe(true);
    expect(checkCommand(b, 'calendar.delete').blocked).toBe(true);
    expect(checkCommand(a, 'gmail.send').blocked).toBe(false);
  });

  it('does not treat a word prefix as a path prefix', () => {
    const r = compileCommandTree({ gmail: { drafts: true } });
    expect(checkCommand(r, 'gmail.draftsx').blocked).toBe(true);
  });

  it.each([[{}], [{ gmail: {} }]])('refuses an empty profile %j', (tree) => {
    expect(() => compileCommandTree(tree)).toThrow(/empty/);
  });

  it('refuses a wildcard on the deny side', () => {
    expect(() => compileCommandTree({ gmail: { '*': false } })).toThrow(/wildcards may only allow/);
  });
});

describe('shipped profiles', () => {
  const table: [string, ActionName, 'allow' | 'approve' | 'deny'][] = [
    ['observe_only', 'gmail.search', 'allow'],
    ['observe_only', 'calendar.events', 'allow'],
    ['observe_only', 'gmail.drafts.create', 'deny'],
    ['observe_only', 'gmail.archive', 'deny'],
    ['observe_only', 'gmail.send', 'deny'],
    ['draft_assist', 'gmail.thread.get', 'allow'],
    ['draft_assist', 'gmail.drafts.create', 'allow'],
    ['draft_assist', 'gmail.drafts.update', 'allow'],
    ['draft_assist', 'gmail.drafts.send', 'deny'],
    ['draft_assist', 'gmail.forward', 'deny'],
    ['draft_assist', 'gmail.trash', 'deny'],
    ['draft_assist', 'calendar.create', 'deny'],
    ['scoped_execution', 'gmail.archive', 'approve'],
    ['scoped_execution', 'gmail.messages.modify', 'approve'],
    ['scoped_execution', 'gmail.trash', 'approve'],
    ['scoped_execution', 'gmail.reply', 'deny'],
    ['full', 'gmail.archive', 'allow'],
    ['full', 'gmail.send', 'approve'],
    ['full', 'gmail.forward', 'approve'],
    ['full', 'gmail.drafts.delete', 'approve'],
    ['full', 'calendar.respond', 'approve'],
    ['full', 'gmail.search', 'allow'],
  ];
  it.each(table)('%s: %s → %s', (name, action, effect) => {
    const out = evaluatePolicy(profile(name), { action, principal: 'a', lockdown: NO_LOCK });
    expect(out.ok && out.decision.effect).toBe(effect);
  });

  it('gives every decision rule ids, a message and the policy digest', () => {
    const p = profile('scoped_execution');
    for (const action of ACTION_NAMES) {
      const out = evaluatePolicy(p, { action, principal: 'a', lockdown: NO_LOCK });
      if (!out.ok) throw new Error(out.error);
      expect(out.decision.rules.length).toBeGreaterThan(0);
      expect(out.decision.message.length).toBeGreaterThan(0);
      expect(out.decision.policyDigest).toBe(p.digest);
    }
  });

  it.each([
    ['observe_only', true],
    ['draft_assist', true],
    ['scoped_execution', true],
    ['full', false],
  ])('%s denies every send: %s', (name, expected) => {
    expect(policyDeniesAllSends(profile(name))).toBe(expected);
  });
});

describe('lockdown', () => {
  const p = profile('full');
  it('denies everything during a global lockdown, naming the rule', () => {
    const out = evaluatePolicy(p, {
      action: 'gmail.search',
      principal: 'a',
      lockdown: { global: { reason: 'incident' }, principal: null },
    });
    expect(out.ok && out.decision).toMatchObject({ effect: 'deny', rules: ['lockdown.global'] });
  });
  it('denies a locked principal', () => {
    const out = evaluatePolicy(p, {
      action: 'gmail.archive',
      principal: 'a',
      lockdown: { global: null, principal: { reason: 'denials' } },
    });
    expect(out.ok && out.decision).toMatchObject({ effect: 'deny', rules: ['lockdown.principal'] });
  });
});
