import { createHash } from 'node:crypto';
import { constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeploymentRef__Output } from '@flotilla/proto';
import { isPlainObject } from '../objects.js';

/** The last desired state an agent applied in full: what it tells the hub it holds after a restart. */
export interface AppliedState {
  generation: string;
  refs: DeploymentRef__Output[];
}

/**
 * The state file's text: the state and a SHA-256 of its JSON. The file is rewritten in place (see
 * AppliedStateFile), so a crash mid-write can leave it empty, cut short or, on a file system that
 * does not order data before size, with blocks of the new text mixed with the old; the checksum
 * refuses all of these, where JSON.parse alone would accept a mix that happens to parse.
 */
export function encodeAppliedState(s: AppliedState): string {
  const state = JSON.stringify(s);
  return `{"sha256":"${sha256(state)}","state":${state}}\n`;
}

/**
 * The state in a file's text, or undefined when the text is not one whole state: torn, foreign or
 * empty. (Losing it costs only a full desired state from the hub.) A file written before the
 * checksum was added, with a rename, is whole and is read as it is.
 */
export function decodeAppliedState(text: string): AppliedState | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(doc)) return undefined;
  let state: unknown = doc;
  if ('sha256' in doc) {
    const start = text.indexOf('"state":');
    const end = text.trimEnd().length - 1;
    if (start < 0 || text[end] !== '}') return undefined;
    if (sha256(text.slice(start + '"state":'.length, end)) !== doc.sha256) return undefined;
    state = doc.state;
  }
  return isAppliedState(state) ? { generation: state.generation, refs: state.refs.map(currentRef) } : undefined;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/**
 * A ref as an agent of 0.1 wrote it names its deployment `deployment` (the wire's BundleRef then): read
 * as `deployment`, so an upgraded agent keeps what it holds and fetches none of it again.
 */
function currentRef(r: Record<string, unknown>): DeploymentRef__Output {
  const { deployment, ...ref } = r;
  return (typeof ref.deployment === 'string'
    ? ref
    : { ...ref, deployment: deployment }) as unknown as DeploymentRef__Output;
}

function isAppliedState(v: unknown): v is { generation: string; refs: Record<string, unknown>[] } {
  return (
    isPlainObject(v) &&
    typeof v.generation === 'string' &&
    Array.isArray(v.refs) &&
    v.refs.every(
      (r) =>
        isPlainObject(r) &&
        (typeof r.deployment === 'string' || typeof r.deployment === 'string') &&
        typeof r.digest === 'string',
    )
  );
}

/**
 * Where an agent keeps its applied state. Saves run in the background, newest winning, and rewrite
 * the one file in place through a handle kept open. Measured on ext4 (500 saves at once): writing a
 * new file and renaming it over the old cost about 0.85 ms of CPU per save, most of it in the kernel
 * creating an inode; rewriting the same file by name 0.15 ms; through an open handle 0.05–0.1 ms.
 * Atomicity comes from the checksum instead of the rename: a crash mid-save leaves a file that reads
 * as no state, which costs one full desired state from the hub.
 */
export class AppliedStateFile {
  private saving: Promise<void> | undefined;
  private next: AppliedState | undefined;
  private handle: FileHandle | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** What the file holds, or undefined when it is missing, torn or foreign. */
  load(): AppliedState | undefined {
    if (!existsSync(this.path)) return undefined;
    try {
      return decodeAppliedState(readFileSync(this.path, 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Saves `state` soon; a save already running is followed by one of the newest state asked for. */
  save(state: AppliedState): void {
    if (this.closed) return;
    this.next = state;
    this.saving ??= this.drain()
      .catch(async (err: unknown) => {
        // The handle may be what failed (a file deleted or a disk remounted): the next save reopens.
        await this.handle?.close().catch(() => undefined);
        this.handle = undefined;
        this.onError(err);
      })
      .finally(() => {
        this.saving = undefined;
      });
  }

  /** Writes what is asked for and closes the file; later saves are ignored. */
  async close(): Promise<void> {
    while (this.saving) await this.saving;
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    for (let s = this.next; s; s = this.next) {
      this.next = undefined;
      if (!this.handle) {
        await mkdir(dirname(this.path), { recursive: true });
        // Read-write, created when missing, not truncated: 'w' would empty it before the first write.
        this.handle = await open(this.path, constants.O_RDWR | constants.O_CREAT);
      }
      const body = Buffer.from(encodeAppliedState(s));
      await this.handle.write(body, 0, body.length, 0);
      await this.handle.truncate(body.length);
    }
  }
}
