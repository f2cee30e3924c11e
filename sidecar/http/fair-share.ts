// One agent's burst must not take the event loop from the others. While another agent is active, an agent may
// have only a few requests in progress at once (one, if it is locked down or its answers are mostly refusals:
// what it asks is refused anyway, and each refusal is still evidenced); its further requests wait their turn in
// arrival order, already parsed and authenticated but not yet worked on. An agent alone is never held back: the
// share only applies when someone else needs the same loop.

export interface FairShareOptions {
  /** Requests in progress per agent while another agent is active. */
  readonly perAgent: number;
  /** The same for an agent under lockdown, or whose answers are mostly refusals (see REFUSAL_WEIGHT). */
  readonly perRestrictedAgent: number;
  /** An agent counts as active for this long after its last request. */
  readonly activeMs: number;
  readonly now?: () => number;
}

/** Gives the slot back; calling it again does nothing. */
export type Release = () => void;

export interface FairShare {
  /** A slot at once (a function), or a promise of one once the agent's turn comes. */
  enter(principal: string, locked: boolean): Release | Promise<Release>;
  /** How the agent's request was answered: `refused` for a 4xx (denied, invalid input, not found). */
  answered(principal: string, refused: boolean): void;
  /** Requests of `principal` in progress (for tests and diagnostics). */
  inProgress(principal: string): number;
}

/**
 * How much each answer moves an agent's share of refusals (a moving average), and the share that restricts it.
 * From a clean start four refusals in a row restrict (0.68); a success then lifts it (0.51). Refusing every other
 * request never restricts (at most 0.57); three refusals in every four keep it restricted even right after the
 * success (0.63), so a cheap success mixed in does not buy the flood its share back.
 */
const REFUSAL_WEIGHT = 0.25;
const RESTRICT_AT = 0.6;

interface AgentState {
  lastSeen: number;
  locked: boolean;
  running: number;
  /** Moving average of its answers, 1 for a refusal and 0 for a success. */
  refusals: number;
  readonly waiting: (() => void)[];
}

export function createFairShare(opts: FairShareOptions): FairShare {
  const now = opts.now ?? Date.now;
  // Keyed by principal: the configured agents, so it stays as small as the config.
  const agents = new Map<string, AgentState>();

  function othersActive(self: string, t: number): boolean {
    for (const [principal, a] of agents) {
      if (principal !== self && (a.running > 0 || t - a.lastSeen < opts.activeMs)) return true;
    }
    return false;
  }

  function limit(principal: string, a: AgentState, t: number): number {
    if (!othersActive(principal, t)) return Number.POSITIVE_INFINITY;
    return a.locked || a.refusals >= RESTRICT_AT ? opts.perRestrictedAgent : opts.perAgent;
  }

  function slot(principal: string, a: AgentState): Release {
    a.running++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      a.running--;
      // Let in as many of the waiting as the share allows now (all of them once the others went quiet).
      const max = limit(principal, a, now());
      while (a.waiting.length > 0 && a.running < max) a.waiting.shift()!();
    };
  }

  function agent(principal: string, t: number): AgentState {
    let a = agents.get(principal);
    if (!a) {
      a = { lastSeen: t, locked: false, running: 0, refusals: 0, waiting: [] };
      agents.set(principal, a);
    }
    return a;
  }

  return {
    enter(principal, locked) {
      const t = now();
      const a = agent(principal, t);
      a.lastSeen = t;
      a.locked = locked;
      if (a.waiting.length === 0 && a.running < limit(principal, a, t)) return slot(principal, a);
      return new Promise<Release>((resolve) => {
        a.waiting.push(() => resolve(slot(principal, a)));
      });
    },
    answered(principal, refused) {
      const a = agent(principal, now());
      a.refusals += ((refused ? 1 : 0) - a.refusals) * REFUSAL_WEIGHT;
    },
    inProgress: (principal) => agents.get(principal)?.running ?? 0,
  };
}
