import { dirname, resolve } from 'node:path';
import { DatabaseUnavailableError } from '../errors.js';

const ELSEWHERE =
  'set SLIPWAY_DATABASE_URL (or SLIPWAY_DATA_DIR) to a file in a writable directory';

/**
 * Why a SQLite file could not be opened, as one sentence with the path and the fix; null when
 * `err` is not one of the known causes (the caller rethrows it as it is).
 */
export function explainSqliteOpenError(
  err: unknown,
  path: string,
): DatabaseUnavailableError | null {
  const file = resolve(path);
  const {
    code,
    message,
    path: failedAt,
  } = err as { code?: unknown; message?: unknown; path?: unknown };
  const at = typeof failedAt === 'string' ? failedAt : dirname(file);
  const why = typeof message === 'string' ? message : String(err);
  const sentence = (() => {
    switch (code) {
      case 'ENOTDIR':
      case 'EEXIST':
        return `cannot create the SQLite database ${file}: ${at} or a folder above it is a file, not a directory; ${ELSEWHERE}.`;
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return `cannot create the SQLite database ${file}: ${at} is not writable (${why}); give this user write access to it or ${ELSEWHERE}.`;
      case 'SQLITE_CANTOPEN':
        return `cannot open the SQLite database ${file} (${why}): check that it is a file, not a directory, and that its directory is writable, or ${ELSEWHERE}.`;
      case 'SQLITE_READONLY':
      case 'SQLITE_READONLY_DIRECTORY':
        return `the SQLite database ${file} is read-only (${why}): give this user write access to the file and its directory, or ${ELSEWHERE}.`;
      case 'SQLITE_NOTADB':
      case 'SQLITE_CORRUPT':
        return `${file} is not a SQLite database or is damaged (${why}): restore it from a backup, or move it away to start with an empty database, or point SLIPWAY_DATABASE_URL at the right file.`;
      default:
        return null;
    }
  })();
  return sentence === null ? null : new DatabaseUnavailableError(sentence, false, { cause: err });
}
