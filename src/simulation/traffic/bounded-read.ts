import { closeSync, constants, fstatSync, openSync, readSync } from 'fs';
import { ValidationError } from '../../errors';

/**
 * Reads at most `maxBytes` of a regular file as UTF-8; refuses anything larger, and devices, FIFOs, sockets and
 * directories (`/dev/zero` never ends; a FIFO blocks until a writer comes). The file is opened without blocking, so a FIFO
 * is refused at once rather than waited on.
 * @param what how messages name the file, e.g. 'Trace file'
 */
export function readBounded(path: string, maxBytes: number, what: string): string {
  let fd: number;
  try {
    // eslint-disable-next-line no-bitwise
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new ValidationError(`${what} '${path}' cannot be read: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new ValidationError(`${what} '${path}' is not a regular file`);
    }
    if (stat.size > maxBytes) {
      throw new ValidationError(`${what} '${path}' has ${stat.size} bytes; at most ${maxBytes} (${maxBytes / 2 ** 20} MiB) are read`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(2 ** 20);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      total += read;
      if (total > maxBytes) throw new ValidationError(`${what} '${path}' is larger than ${maxBytes / 2 ** 20} MiB, the most that is read`);
      chunks.push(Buffer.from(chunk.subarray(0, read)));
    }
    const bytes = Buffer.concat(chunks, total);
    if (bytes.includes(0)) throw new ValidationError(`${what} '${path}' is binary (it holds NUL bytes), not text`);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
