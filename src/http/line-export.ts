import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** How one kind of row is written in the two export formats. */
export interface ExportFormat<T> {
  csvHeader: () => string;
  csvLine: (row: T) => string;
  ndjsonLine: (row: T) => string;
}

export interface ExportOptions {
  csv: boolean;
  /** The file name's stem: `<stem>-<time>.csv|ndjson`. */
  stem: string;
  now: Date;
  /** Maps a refusal met while reading the first batch to the route's own error. */
  refusal?: (err: unknown) => never;
}

/**
 * Streams rows read in batches as CSV or NDJSON, so memory stays one batch however many rows match. The first
 * batch is pulled before the answer starts: a refusal or failure is still a clean error, not a cut stream.
 */
export async function sendLineExport<T>(reply: FastifyReply, rows: AsyncGenerator<T>, format: ExportFormat<T>, options: ExportOptions): Promise<FastifyReply> {
  const { csv } = options;
  const first = await rows.next().catch(options.refusal ?? ((err: unknown) => { throw err; }));
  async function* lines(): AsyncGenerator<string> {
    if (csv) yield format.csvHeader();
    if (first.done) return;
    yield csv ? format.csvLine(first.value) : format.ndjsonLine(first.value);
    for await (const row of rows) yield csv ? format.csvLine(row) : format.ndjsonLine(row);
  }
  const stamp = options.now.toISOString().replace(/[:.]/g, '-');
  return reply
    .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
    .header('content-disposition', `attachment; filename="${options.stem}-${stamp}.${csv ? 'csv' : 'ndjson'}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 }));
}
