// install-linux.sh in --dry-run: the exact commands that create users, groups, directories and the unit.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'deploy', 'install-linux.sh');

const shims = mkdtempSync(join(tmpdir(), 'mw-install-'));
afterAll(() => rmSync(shims, { recursive: true, force: true }));

/** A PATH whose `getent` answers as a fresh host (nothing exists) or an installed one (everything exists). */
function hostPath(host: 'fresh' | 'installed'): string {
  const dir = join(shims, host);
  mkdirSync(dir, { recursive: true });
  const getent = join(dir, 'getent');
  writeFileSync(getent, host === 'fresh' ? '#!/bin/sh\nexit 2\n' : '#!/bin/sh\necho "$2:x:999:999::/:/bin/false"\n');
  chmodSync(getent, 0o755);
  return `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

function install(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return installOn('fresh', ...args);
}

function installOn(host: 'fresh' | 'installed', ...args: string[]) {
  const r = spawnSync('bash', [SCRIPT, '--dry-run', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: hostPath(host) },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The planned commands, in order, as printed by --dry-run. */
function commands(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('+ '))
    .map((l) => l.slice(2));
}

describe('install-linux.sh', () => {
  it('is valid bash', () => {
    for (const script of [SCRIPT, join(ROOT, 'scripts', 'ci-deps.sh')]) {
      expect(spawnSync('bash', ['-n', script]).status, script).toBe(0);
    }
  });

  const planned = install('--agent-user', 'alice', '--agent-user', 'bob', '--no-start');
  const cmds = commands(planned.stdout);
  const has = (re: RegExp): boolean => cmds.some((c) => re.test(c));

  it('plans a run without errors', () => {
    expect(planned.stderr).toBe('');
    expect(planned.status).toBe(0);
  });

  it.each([
    ['the agents group', /^groupadd --system mailwarden-agents$/],
    [
      'the service user with no login shell and its home in the state dir',
      /^useradd --system --gid mailwarden --home-dir \/var\/lib\/mailwarden .*--shell \S*nologin .*mailwarden$/,
    ],
    [
      'the service in the agents group (to hand agent.sock to it)',
      /^usermod --append --groups mailwarden-agents mailwarden$/,
    ],
    ['each agent user in the agents group', /^usermod --append --groups mailwarden-agents alice$/],
    ['the second agent user too', /^usermod --append --groups mailwarden-agents bob$/],
    ['an owner-only state directory', /^install -d -o mailwarden -g mailwarden -m 0700 \/var\/lib\/mailwarden$/],
    [
      'mailwarden init run as the service user',
      /^runuser -u mailwarden -- env MAILWARDEN_ACCOUNT=\S+ sh -c umask\\ 077.*init\\ --dir\\ .*\/var\/lib\/mailwarden.*--json/,
    ],
    ['root-owned code', /^chown -R root:root \/opt\/mailwarden$/],
    [
      'the unit installed',
      /^install -o root -g root -m 0644 \S+\/scripts\/deploy\/systemd\/mailwarden\.service \/etc\/systemd\/system\/mailwarden\.service$/,
    ],
    ['a daemon reload', /^systemctl daemon-reload$/],
  ])('creates %s', (_name, re) => {
    expect(has(re), `${re} in:\n${cmds.join('\n')}`).toBe(true);
  });

  it('copies everything npm ci and the agents need: scripts/ (prepare runs build.mjs) and plugin/', () => {
    const copy = cmds.find((c) => c.startsWith('cp -R ')) ?? '';
    for (const dir of ['bin', 'shared', 'sidecar', 'plugin', 'scripts', 'policies', 'package-lock.json']) {
      expect(copy, copy).toMatch(new RegExp(`/${dir.replace('.', '\\.')} `));
    }
    expect(cmds.findIndex((c) => c.startsWith('cp -R '))).toBeLessThan(cmds.findIndex((c) => /npm\\? ci/.test(c)));
  });

  it('creates the user before running anything as it, and the groups before the user', () => {
    const idx = (re: RegExp): number => cmds.findIndex((c) => re.test(c));
    expect(idx(/^groupadd --system mailwarden$/)).toBeLessThan(idx(/^useradd /));
    expect(idx(/^useradd /)).toBeLessThan(idx(/^runuser /));
    expect(idx(/^install -d .*\/var\/lib\/mailwarden$/)).toBeLessThan(idx(/^runuser /));
  });

  it('on a host where the users and groups exist, creates none of them again', () => {
    const again = commands(installOn('installed', '--agent-user', 'alice', '--no-start').stdout);
    expect(again.filter((c) => /^(groupadd|useradd) /.test(c))).toEqual([]);
    expect(again).toContain('usermod --append --groups mailwarden-agents alice');
  });

  it('points the first configuration at /run/mailwarden, the agents group and the first agent user', () => {
    const patch = cmds.find((c) => c.includes('MW_RUNTIME=')) ?? '';
    expect(patch).toContain('MW_RUNTIME=/run/mailwarden');
    expect(patch).toContain('MW_AGENTS_GROUP=mailwarden-agents');
    expect(patch).toContain('MW_AGENT_USER=alice');
  });

  it('moves the approver private key away from the sidecar', () => {
    expect(planned.stdout).toContain('approver.key, mode 0600');
  });

  it('enables and restarts the service and prints posture unless --no-start', () => {
    expect(has(/^systemctl (enable|restart)/)).toBe(false);
    const started = commands(install('--agent-user', 'alice').stdout);
    expect(started).toContain('systemctl enable mailwarden.service');
    // restart rather than start, so re-running the script after an upgrade loads the new code
    expect(started).toContain('systemctl restart mailwarden.service');
    expect(started.some((c) => /mailwarden posture --config \/var\/lib\/mailwarden\/mailwarden\.yaml$/.test(c))).toBe(
      true,
    );
  });

  it.each([
    [['--agent-user', 'root'], /own unprivileged user/],
    [['--agent-user', 'mailwarden'], /own unprivileged user/],
    [['--backend', 'imap'], /gog or fake/],
    [['--gog-binary', 'gog'], /absolute path/],
    [['--bogus'], /unknown option/],
  ])('refuses %j with exit 2', (args, message) => {
    const r = install(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('ci-deps.sh', () => {
  const present = ['systemd-analyze', 'xmllint'].every((c) => spawnSync(c, ['--version']).error === undefined);
  it.runIf(present || process.env.CI === 'true')('changes nothing and exits 0 when the tools are present', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'ci-deps.sh')], { encoding: 'utf8' });
    expect(r.stdout).toContain('all tools present');
    expect(r.status).toBe(0);
  });
});
