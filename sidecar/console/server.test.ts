import { describe, expect, it } from 'vitest';
import { isLoopback, parseListen } from './server.ts';

describe('--listen parsing', () => {
  it.each([
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['localhost:8470', { host: 'localhost', port: 8470 }],
    ['[::1]:8470', { host: '::1', port: 8470 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
  ])('%s', (value, want) => {
    expect(parseListen(value)).toEqual(want);
  });

  it.each(['127.0.0.1', ':8470', '127.0.0.1:65536', '::1:8470', 'host:port', '127.0.0.1:80 ', 'a b:1'])(
    'refuses %j',
    (value) => {
      expect(parseListen(value)).toBeNull();
    },
  );

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['192.168.1.4', false],
    ['localhost.example', false],
  ])('%s is loopback: %s', (host, want) => {
    expect(isLoopback(host)).toBe(want);
  });
});
