import { describe, expect, it } from 'vitest';
import { syncGogConfig } from './gog-config.ts';

describe("keeping gog's config-level no-send in step with the policy", () => {
  it("switches no-send on when the policy denies every send, keeping gog's other keys", () => {
    const { text, result } = syncGogConfig('{"keyring_backend":"file","gmail_no_send":false}', true);
    expect(result).toEqual({ changed: true });
    expect(JSON.parse(text!)).toEqual({ keyring_backend: 'file', gmail_no_send: true });
  });

  it('writes a fresh config when there is none', () => {
    expect(JSON.parse(syncGogConfig(null, true).text!)).toEqual({ gmail_no_send: true });
  });

  it('leaves a matching config alone', () => {
    expect(syncGogConfig('{"gmail_no_send":true}', true)).toEqual({ text: null, result: { changed: false } });
    expect(syncGogConfig(null, false)).toEqual({ text: null, result: { changed: false } });
  });

  it('never switches no-send off by itself, but says that sends will fail', () => {
    const { text, result } = syncGogConfig('{"gmail_no_send":true}', false);
    expect(text).toBeNull();
    expect(result).toMatchObject({ changed: false, warning: expect.stringMatching(/refuse every send/) });
  });

  it('refuses to touch a config that is not a JSON object', () => {
    expect(syncGogConfig('[1,2]', true).result).toMatchObject({ error: expect.stringMatching(/not a JSON object/) });
    expect(syncGogConfig('{oops', true).result).toMatchObject({ error: expect.any(String) });
  });
});
