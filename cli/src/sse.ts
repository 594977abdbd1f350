/** One Server-Sent Events message (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Incremental SSE parser: feed it chunks of text as they arrive; it calls `onMessage` for each
 * complete message. Comment lines (`:` heartbeats) and `retry:` are consumed silently.
 *
 * Kept by hand, not eventsource-parser (issue #20): its 3.x line, the last that supports Node 20
 * (our engines: >= 20.19), forgets an `id:` sent in a block without data, which the spec keeps as the
 * last event ID (sse.test.ts asserts it). 4.1 reports it (`onId`) and passes sse.test.ts unchanged
 * on Node 20.20 (tried), but declares engines node >= 22.12: switch to it when our engines move.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private id: string | undefined;
  private event: string | undefined;

  constructor(private readonly onMessage: (m: SseMessage) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.search(/\r\n|\n|\r/);
      if (nl < 0) return;
      // A lone '\r' at the end may be the first half of '\r\n': wait for more.
      if (this.buffer[nl] === '\r' && nl === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1));
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'event') this.event = value;
  }

  private dispatch(): void {
    // The id persists across messages (the spec's "last event ID buffer"); the rest is per message.
    if (this.data.length === 0) {
      this.event = undefined;
      return;
    }
    const msg: SseMessage = { data: this.data.join('\n') };
    if (this.id !== undefined) msg.id = this.id;
    if (this.event !== undefined) msg.event = this.event;
    this.data = [];
    this.event = undefined;
    this.onMessage(msg);
  }
}

/** Reads a response body to its end, parsing SSE messages; `onChunk` hears every arrival (heartbeats too). */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onMessage: (m: SseMessage) => void,
  onChunk?: () => void,
) {
  const parser = new SseParser(onMessage);
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    onChunk?.();
    parser.push(decoder.decode(chunk, { stream: true }));
  }
  parser.push(decoder.decode());
}
