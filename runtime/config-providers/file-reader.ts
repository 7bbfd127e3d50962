import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';

/** Largest file a `${file:…}` placeholder (or a schema file) may name: secrets and settings files are small. */
export const MAX_PROVIDER_FILE_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;

/** Why a file cannot be used; the message names the path, never its content. */
export class FileRefusedError extends Error {}

/**
 * Reads a regular file of at most `maxBytes` without blocking the event loop. The file is opened non-blocking (a
 * FIFO would otherwise hold a thread-pool thread until a writer shows up), checked to be a regular file on the
 * open handle (so a swap between check and read changes nothing), and never read past the cap: /dev/zero, a FIFO,
 * a directory or a huge file are refused with a message naming the path.
 */
export async function readCappedFile(file: string, maxBytes = MAX_PROVIDER_FILE_BYTES): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileRefusedError(
      code === 'ENOENT' ? `file '${file}' does not exist` : `file '${file}' cannot be read (${code ?? 'error'})`,
    );
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FileRefusedError(`'${file}' is not a regular file`);
    if (st.size > maxBytes) throw new FileRefusedError(`file '${file}' is larger than ${maxBytes} bytes`);
    // Read in chunks up to the cap: files whose size stat does not tell (procfs) are refused once beyond it.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new FileRefusedError(`file '${file}' is larger than ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof FileRefusedError) throw err;
    throw new FileRefusedError(`file '${file}' cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The real location of `file` when it lies inside one of `allowed` (files or folders), else undefined. Both sides
 * have symbolic links and `..` resolved, so neither a link inside an allowed folder nor `/allowed/../etc/passwd`
 * leads out of it; the caller opens the real location, not the link. A path that does not exist is judged by its
 * normalised form, so that an allowed but missing file reads as missing and a missing file elsewhere as refused.
 */
export async function allowedRealPath(file: string, allowed: readonly string[]): Promise<string | undefined> {
  if (allowed.length === 0 || !path.isAbsolute(file)) return undefined;
  const real = await realpath(file).catch(() => path.resolve(file));
  for (const entry of allowed) {
    const root = await realpath(entry).catch(() => path.resolve(entry));
    if (real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) return real;
  }
  return undefined;
}
