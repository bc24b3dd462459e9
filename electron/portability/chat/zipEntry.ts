import fs from 'node:fs';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { EmilyError } from '../../core/errors.js';

/**
 * Reads one file out of a zip (a ChatGPT export holds conversations.json among images and
 * HTML) with fflate's streaming unzip. Only that entry is inflated, and its inflated bytes
 * are counted as they come: a zip bomb (or a header that lies about sizes) stops at maxBytes.
 * A zip holding two matching files is refused rather than one of them taken silently.
 */
export async function readZipEntry(file: string, match: RegExp, opts: { maxBytes: number; signal?: AbortSignal }): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let found: UnzipFile | undefined;
  let done = false;
  let failure: Error | undefined;
  let another: string | undefined;
  const unzip = new Unzip((f) => {
    if (!match.test(f.name)) return;
    if (found) {
      another ??= f.name;
      return;
    }
    found = f;
    if (f.originalSize !== undefined && f.originalSize > opts.maxBytes) {
      failure = tooBig(f.name, opts.maxBytes);
      return;
    }
    f.ondata = (err, data, final) => {
      if (failure) return;
      if (err) {
        failure = new EmilyError('BAD_INPUT', `${f.name} in the zip is damaged: ${err.message}`);
        return;
      }
      total += data.length;
      if (total > opts.maxBytes) {
        failure = tooBig(f.name, opts.maxBytes);
        f.terminate();
        return;
      }
      chunks.push(data);
      if (final) done = true;
    };
    try {
      f.start();
    } catch (e) {
      failure = new EmilyError('BAD_INPUT', `${f.name} in the zip uses a compression method Emily cannot read (${(e as Error).message})`);
    }
  });
  unzip.register(UnzipInflate);
  try {
    // Small reads: the inflated size is counted per input chunk, and 1 KiB of deflate can
    // inflate to about 1 MiB, so a 1 MiB read of a bomb whose header lies is ~1 GiB at once.
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 64 << 10, signal: opts.signal })) {
      unzip.push(chunk as Uint8Array);
      // The rest is read (not inflated) for a second match: which one is meant is not ours to guess.
      if (failure || another) break;
    }
    if (!failure && !another) unzip.push(new Uint8Array(0), true);
  } catch (e) {
    if (opts.signal?.aborted) throw new EmilyError('CANCELLED', 'the chat import was cancelled', { cause: e });
    throw new EmilyError('BAD_INPUT', `${file} is not a readable zip file: ${(e as Error).message}`, { cause: e });
  }
  if (failure) throw failure;
  if (another) throw new EmilyError('BAD_INPUT', `the zip holds more than one file named like that (${found!.name} and ${another}); unzip it and import the one you mean`);
  if (!found) throw new EmilyError('BAD_INPUT', `the zip holds no file matching ${match.source}; is it a ChatGPT data export?`);
  if (!done) throw new EmilyError('BAD_INPUT', `${found.name} in the zip is truncated; download the export again`);
  return Buffer.concat(chunks);
}

function tooBig(name: string, max: number): EmilyError {
  return new EmilyError('BAD_INPUT', `${name} in the zip would be larger than ${Math.round(max / 1048576)} MiB when unpacked; refusing it (a damaged or hostile zip?)`);
}
