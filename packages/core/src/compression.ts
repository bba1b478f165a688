import pako from 'pako';
import zlib from 'node:zlib';

/**
 * The small interface every codec uses for zlib. `inflate` must stop with an error as soon as
 * the output would exceed `maxOutput` bytes, so a hostile input cannot exhaust memory.
 */
export interface Compression {
  readonly name: string;
  deflate(data: Uint8Array, level?: number): Uint8Array;
  /** Inflate a complete zlib stream; throws if it is malformed or inflates past `maxOutput`. */
  inflate(data: Uint8Array, maxOutput: number): Uint8Array;
}

/** Portable zlib (pure JavaScript, runs anywhere). */
export const pakoCompression: Compression = {
  name: 'pako',
  deflate(data, level = 6) {
    return pako.deflate(data, { level: level as pako.DeflateFunctionOptions['level'] });
  },
  inflate(data, maxOutput) {
    const inflator = new pako.Inflate({ chunkSize: 64 * 1024 });
    let total = 0;
    const chunks: Uint8Array[] = [];
    // A bounded sink: refuse once the declared budget is exceeded instead of buffering a bomb.
    inflator.onData = (chunk: Uint8Array) => {
      total += chunk.length;
      if (total > maxOutput) throw new RangeError(`inflates past ${maxOutput} bytes`);
      chunks.push(chunk);
    };
    inflator.push(data, true);
    if (inflator.err) throw new Error(`zlib: ${inflator.msg || inflator.err}`);
    if (!(inflator as unknown as { ended: boolean }).ended) throw new Error('zlib: truncated stream');
    return concatBytes(chunks, total);
  },
};

/** Node's native zlib: several times faster than pako; the default for the Node drivers. */
export const nodeCompression: Compression = {
  name: 'node-zlib',
  deflate(data, level = 6) {
    return zlib.deflateSync(data, { level });
  },
  inflate(data, maxOutput) {
    // maxOutputLength must be >= 1; an empty object still inflates to its header.
    return zlib.inflateSync(data, { maxOutputLength: Math.max(1, maxOutput) });
  },
};

/** Concatenate byte chunks whose total length is known. */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  const size = total ?? chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
