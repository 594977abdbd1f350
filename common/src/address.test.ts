import { describe, expect, it } from 'vitest';
import { parseHostPort } from './address.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:8080', '127.0.0.1', 8080],
    ['hub.example.com:9443', 'hub.example.com', 9443],
    ['[::1]:9443', '::1', 9443],
    [':0', '', 0],
    ['0.0.0.0:65535', '0.0.0.0', 65535],
  ])('%s is host %j, port %d', (text, host, port) => expect(parseHostPort(text)).toEqual({ host, port }));

  it.each(['hub', 'hub:', 'hub:65536', 'hub:123456', 'hub:80x', '', ':'])('%j is not host:port', (text) =>
    expect(parseHostPort(text)).toBeUndefined(),
  );
});
