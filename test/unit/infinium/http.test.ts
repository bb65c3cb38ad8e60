import { describe, expect, it } from 'vitest';
import { isLoopbackHost, proxyFor } from '../../../src/infinium/http';

const PROXY = 'http://proxy.corp:3128';

describe('isLoopbackHost', () => {
  // Hostnames as a URL writes them: IPv4 in every spelling comes out dotted-decimal, ::1 in brackets.
  it.each([
    ['http://localhost:3000', true],
    ['http://LOCALHOST/x', true],
    ['http://127.0.0.1:8080', true],
    ['http://127.200.3.4', true],
    ['http://2130706433/', true],
    ['http://0x7f.1/', true],
    ['http://[::1]:9/', true],
    ['http://[0:0:0:0:0:0:0:1]/', true],
    // F9: a name under .localhost is resolved through DNS (glibc and Node do not pin it to loopback).
    ['http://infinium.localhost/api/v1', false],
    ['http://localhost.example.com', false],
    ['http://localhost./', false],
    ['http://128.0.0.1', false],
    ['http://10.0.0.1', false],
    ['http://[::2]/', false],
    ['http://[::ffff:7f00:1]/', false],
  ])('%s: %s', (url, loopback) => {
    expect(isLoopbackHost(new URL(url).hostname)).toBe(loopback);
  });
});

describe('proxyFor', () => {
  it('takes HTTPS_PROXY for https, HTTP_PROXY for http, lower case first, as undici does', () => {
    expect(proxyFor('https://platform.example/api/v1', { HTTPS_PROXY: PROXY })).toBe(PROXY);
    expect(proxyFor('https://platform.example/api/v1', { HTTP_PROXY: PROXY })).toBe(PROXY);
    expect(proxyFor('https://platform.example/api/v1', { HTTPS_PROXY: '', HTTP_PROXY: PROXY })).toBe(PROXY);
    expect(proxyFor('http://platform.example/api/v1', { HTTPS_PROXY: PROXY })).toBeUndefined();
    expect(proxyFor('http://platform.example/api/v1', { http_proxy: 'http://a:1', HTTP_PROXY: PROXY })).toBe(
      'http://a:1',
    );
    expect(proxyFor('https://platform.example/api/v1', {})).toBeUndefined();
    expect(proxyFor('https://platform.example/api/v1', { HTTPS_PROXY: '' })).toBeUndefined();
  });

  it('F11: never for this machine, though a proxy is set and NO_PROXY is empty', () => {
    const env = {
      HTTPS_PROXY: PROXY,
      HTTP_PROXY: PROXY,
      https_proxy: PROXY,
      http_proxy: PROXY,
      NO_PROXY: '',
    };
    for (const url of ['http://127.0.0.1:8080/api/v1', 'http://localhost:3000', 'https://[::1]/x']) {
      expect(proxyFor(url, env)).toBeUndefined();
    }
    expect(proxyFor('http://infinium.localhost/api/v1', env)).toBe(PROXY);
  });
});
