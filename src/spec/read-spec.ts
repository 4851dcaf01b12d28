import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { relative, sep } from 'node:path';
import type { SpecProblem } from './errors.js';

/**
 * The largest spec file read, checked before a byte of it is parsed. A
 * service spec is a few kilobytes; 1 MiB leaves room for large `files:`
 * while keeping a run on a hostile or mistaken file (a log, a dump) to about
 * a second. The rendered ConfigMap of `files:` has its own limit.
 */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** The text of a spec file, or the one problem that kept it from being read. */
export type SpecText = { readonly text: string } | { readonly problem: SpecProblem };

/**
 * Reads a spec file as UTF-8 text, refusing (with a problem naming the file)
 * what is not a spec: a folder or another kind of non-regular file (a named
 * pipe would block forever), a file reached through a symbolic link that
 * leaves the project (its content could be a credential, and problems quote
 * values), a file larger than MAX_SPEC_BYTES, an unreadable file, and bytes
 * that are not UTF-8 (located at the first such byte).
 *
 * `file` is how problems name it; `projectReal` the project folder with its
 * symbolic links resolved.
 */
export function readSpecText(abs: string, file: string, projectReal: string): SpecText {
  const refuse = (message: string): SpecText => ({ problem: { file, field: '', message } });
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (err) {
    return refuse(unreadable(err, 'the file'));
  }
  const inside = relative(projectReal, real);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || inside.startsWith(sep))
    return refuse(
      'is a symbolic link to a file outside the project, which is never read (its content could be anything, ' +
        'even a credential); expected a spec file inside the project: copy the file in instead of linking to it',
    );
  let fd: number;
  try {
    const kind = fileKind(statSync(real));
    if (kind !== 'file') return refuse(`is ${kind}, not a file; expected a YAML file (move it out of the folder)`);
    fd = openSync(real, 'r');
  } catch (err) {
    return refuse(unreadable(err, 'the file'));
  }
  try {
    // The size of what was opened, so a file that grows between a check and the read cannot slip through.
    const size = fstatSync(fd).size;
    if (size > MAX_SPEC_BYTES)
      return refuse(
        `is ${formatBytes(size)}, more than a spec file may hold (${formatBytes(MAX_SPEC_BYTES)}); ` +
          'expected a smaller file: large content belongs in the image or in a volume, not in a spec',
      );
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return decode(bytes.subarray(0, read), file);
  } catch (err) {
    return refuse(unreadable(err, 'the file'));
  } finally {
    closeSync(fd);
  }
}

/** What a path that is not a regular file is, in a user's words. */
function fileKind(st: import('node:fs').Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function unreadable(err: unknown, what: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOENT'
        ? 'it disappeared, or is a symbolic link to nothing'
        : code === 'ELOOP'
          ? 'a loop of symbolic links'
          : (code ?? 'unknown error');
  return `${what} cannot be read (${why}); expected a readable YAML file`;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${n} bytes`;
}

/** UTF-8 text of a spec, or a problem located at the first byte that is not UTF-8. */
function decode(bytes: Buffer, file: string): SpecText {
  if (
    (bytes[0] === 0xff && bytes[1] === 0xfe) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff) ||
    (bytes.length >= 2 && (bytes[0] === 0 || bytes[1] === 0))
  )
    return {
      problem: {
        file,
        field: '',
        message: 'is UTF-16 (or another wide encoding); expected UTF-8 text: save the file as UTF-8',
      },
    };
  if (isUtf8(bytes)) return { text: bytes.toString('utf8') };
  const at = firstInvalidByte(bytes);
  const lineStart = bytes.lastIndexOf(0x0a, at - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  const column = bytes.subarray(lineStart, at).toString('utf8').length + 1;
  return {
    problem: {
      file,
      line,
      column,
      field: '',
      message:
        `holds the byte 0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')}, which is not UTF-8 ` +
        '(the file is in another encoding, such as Latin-1); expected UTF-8 text: save the file as UTF-8',
    },
  };
}

/** Offset of the first byte of `bytes` that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidByte(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length || !isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return bytes.length;
}
