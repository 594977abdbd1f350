import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from './sse.js';

const parse = (chunks: string[]) => {
  const out: SseMessage[] = [];
  const p = new SseParser((m) => out.push(m));
  for (const c of chunks) p.push(c);
  return out;
};

describe('SseParser', () => {
  it('reads id, event and data, skipping comments and retry', () => {
    expect(
      parse([': flotilla event stream\nretry: 2000\n\nid: 7\nevent: CommitSeen\ndata: {"id":7}\n\n: heartbeat\n\n']),
    ).toEqual([{ id: '7', event: 'CommitSeen', data: '{"id":7}' }]);
  });

  it('joins a message split across chunks anywhere, including inside a CRLF', () => {
    const text = 'id: 1\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 2\r\ndata: x\r\n\r\n';
    const whole = parse([text]);
    expect(whole).toEqual([
      { id: '1', data: '{"a":\n1}' },
      { id: '2', data: 'x' },
    ]);
    for (let i = 1; i < text.length; i++) expect(parse([text.slice(0, i), text.slice(i)])).toEqual(whole);
  });

  it('keeps the last id for messages without one, and dispatches nothing without data', () => {
    expect(parse(['id: 3\n\ndata: a\n\n'])).toEqual([{ id: '3', data: 'a' }]);
  });
});
