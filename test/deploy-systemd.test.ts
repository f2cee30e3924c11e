// The systemd unit: parsed for the directives the boundary depends on, then checked by systemd-analyze itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const UNIT_PATH = join(import.meta.dirname, '..', 'scripts', 'deploy', 'systemd', 'mailwarden.service');
const unitText = readFileSync(UNIT_PATH, 'utf8');

/** Minimal systemd unit parser: sections of repeated `Key=value` lines, comments and continuations. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`line ${i + 1} is not Key=value inside a section: ${raw}`);
    const key = kv[1] as string;
    current.set(key, [...(current.get(key) ?? []), (kv[2] as string).trim()]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get('Service') ?? new Map<string, string[]>();
const one = (key: string): string | undefined => {
  const v = service.get(key);
  return v === undefined ? undefined : v[v.length - 1];
};

describe('mailwarden.service directives', () => {
  it('has Unit, Service and Install sections', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it.each([
    ['User', 'mailwarden'],
    ['Group', 'mailwarden'],
    ['RuntimeDirectory', 'mailwarden'],
    ['StateDirectory', 'mailwarden'],
    ['StateDirectoryMode', '0700'],
    ['UMask', '0077'],
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['PrivateDevices', 'yes'],
    ['CapabilityBoundingSet', ''],
    ['AmbientCapabilities', ''],
    ['Restart', 'on-failure'],
    ['KillSignal', 'SIGTERM'],
  ])('%s=%s', (key, value) => {
    expect(service.get(key), key).toEqual([value]);
  });

  it('gives the runtime directory a mode for the agents group and hands it to that group', () => {
    expect(one('RuntimeDirectoryMode')).toBe('0750');
    expect(one('SupplementaryGroups')).toBe('mailwarden-agents');
    expect(service.get('ExecStartPre')).toEqual(['+/bin/chgrp mailwarden-agents /run/mailwarden']);
  });

  it('allows AF_UNIX and only the families gog needs to reach Google', () => {
    const families = (one('RestrictAddressFamilies') ?? '').split(/\s+/);
    expect(families).toContain('AF_UNIX');
    expect(families.every((f) => ['AF_UNIX', 'AF_INET', 'AF_INET6'].includes(f))).toBe(true);
  });

  it('starts mailwarden serve with an explicit config', () => {
    expect(one('ExecStart')).toMatch(/^\/\S+\/mailwarden serve --config \/\S+\.yaml$/);
  });

  it('limits restarts so a crash loop stops and asks for the operator', () => {
    expect(unit.get('Unit')?.get('StartLimitBurst')).toEqual(['5']);
    expect(one('RestartSec')).toBeDefined();
  });
});

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const mustRun = hasAnalyze || process.env.CI === 'true';
const work = mkdtempSync(join(tmpdir(), 'mw-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * `systemd-analyze verify` also checks that ExecStart's binary exists. The real path
 * (/usr/local/bin/mailwarden) exists only on an installed host, so a copy of the unit
 * points ExecStart at this node binary; every other line is verified as shipped.
 */
function testableUnit(name: string, transform: (text: string) => string = (t) => t): string {
  const path = join(work, name);
  const text = unitText.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`);
  writeFileSync(path, transform(text));
  return path;
}

function analyze(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', cwd: work });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe.runIf(mustRun)('systemd-analyze on the unit', () => {
  it('is installed (bash scripts/ci-deps.sh provides it)', () => {
    expect(hasAnalyze).toBe(true);
  });

  it('verify reports nothing about the unit', () => {
    const path = testableUnit('mailwarden.service');
    const r = analyze(['verify', path]);
    // verify exits 0 even for unknown keys, so any line naming the unit counts as a failure.
    expect(r.output.split('\n').filter((l) => l.includes('mailwarden.service'))).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('verify would catch a mistyped directive (the check above is not vacuous)', () => {
    const path = testableUnit('broken.service', (t) => t.replace('UMask=0077', 'UMask=0077\nProtectSistem=strict'));
    expect(analyze(['verify', path]).output).toContain('ProtectSistem');
  });

  it('security rates the exposure 2.0 or better', () => {
    const path = testableUnit('mailwarden.service');
    const r = analyze(['security', '--offline=true', '--threshold=20', path]);
    expect(r.output).toMatch(/Overall exposure level for mailwarden\.service: [01]\.\d|2\.0/);
    expect(r.status).toBe(0);
  });
});
