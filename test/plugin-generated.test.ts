// The checked-in plugin artefacts must match what plugin/generate.ts would write from the shared schemas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hermesManifest, hermesTools, openclawManifest, renderArtefacts, sameArtefact } from '../plugin/artefacts.ts';
import { TOOL_NAMES } from '../plugin/tools/index.ts';

const root = join(import.meta.dirname, '..');

describe('generated plugin artefacts', () => {
  it.each(Object.entries(renderArtefacts()))(
    '%s is up to date (run node --import tsx plugin/generate.ts)',
    (path, text) => {
      expect(sameArtefact(path, readFileSync(join(root, path), 'utf8'), text)).toBe(true);
    },
  );

  it('the OpenClaw manifest lists every tool with its metadata and a strict config schema', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'plugin/openclaw/openclaw.plugin.json'), 'utf8'));
    expect(manifest).toEqual(openclawManifest());
    expect(manifest.id).toBe('mailwarden');
    expect(manifest.contracts.tools).toEqual(TOOL_NAMES);
    expect(Object.keys(manifest.toolMetadata)).toEqual(TOOL_NAMES);
    expect(manifest.toolMetadata.mail_send).toMatchObject({ sideEffecting: true, replaySafe: false });
    expect(manifest.toolMetadata.mail_search).toMatchObject({ sideEffecting: false, replaySafe: true });
    expect(manifest.configSchema).toMatchObject({ additionalProperties: false, required: ['socketPath'] });
    expect(manifest.uiHints.agentKey.sensitive).toBe(true);
  });

  it('the OpenClaw package points at the built entry and the package name matches the id', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'plugin/openclaw/package.json'), 'utf8'));
    expect(pkg.name).toBe('mailwarden');
    expect(pkg.openclaw.extensions).toEqual(['./dist/index.js']);
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('the Hermes files list the same tools', () => {
    const yaml = parse(readFileSync(join(root, 'plugin/hermes/mailwarden/plugin.yaml'), 'utf8'));
    expect(yaml).toEqual(hermesManifest());
    expect(yaml.provides_tools).toEqual(TOOL_NAMES);
    const tools = JSON.parse(readFileSync(join(root, 'plugin/hermes/mailwarden/tools.json'), 'utf8'));
    expect(tools).toEqual(hermesTools());
  });
});
