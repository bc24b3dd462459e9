import path from 'node:path';

/** A profile name from the file's name: without its control characters, at most 100 characters. */
export function nameFromFile(file: string): string {
  // eslint-disable-next-line no-control-regex
  const base = path.basename(file).replace(/\.(dump|sql|backup|pgdump)$/i, '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return [...base].slice(0, 100).join('').trim() || 'imported Emily';
}
