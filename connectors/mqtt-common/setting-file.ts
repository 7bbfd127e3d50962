import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Largest file a path setting (schema, TLS certificate or key) may name: these are small text files. */
export const MAX_SETTING_FILE_BYTES = 1024 * 1024;

/**
 * Reads the file a path setting names. It must be a regular file of at most `maxBytes`: /dev/zero, a FIFO (opened
 * non-blocking, so it cannot stall the worker) or a folder are refused. The error names the path and the problem,
 * never the content: these settings come from whoever can reach the REST API.
 */
export function readSettingFile(file: string, maxBytes = MAX_SETTING_FILE_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `file "${file}" does not exist` : `file "${file}" cannot be read (${code ?? 'error'})`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`file "${file}" is not a regular file`);
    if (st.size > maxBytes) throw new Error(`file "${file}" is larger than ${maxBytes} bytes`);
    // Never past the cap, even for a file that grows after the check.
    const buf = Buffer.alloc(st.size + 1);
    let filled = 0;
    for (let n = 1; n > 0 && filled < buf.length; filled += n) n = readSync(fd, buf, filled, buf.length - filled, null);
    if (filled > st.size) throw new Error(`file "${file}" changed while it was read`);
    return buf.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
