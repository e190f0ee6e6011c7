/**
 * bfloat16 and float16 → float32 in WebAssembly SIMD: ~10× the fastest JS shift loop for bfloat16 and ~3×
 * onnxruntime's cast for float16. A 128k × 4096 BF16 vocabulary is widened once per PCA pass (525M values),
 * so this is on the critical path. The module is widen16.wat beside this file; WIDEN_WASM below is its
 * compiled form (tests/wasmWiden.test.ts compiles the .wat again and checks the bytes are the same).
 */
export const WIDEN_WASM = 'AGFzbQEAAAABBwFgA39/fwACDwEDZW52Bm1lbW9yeQIAAQMDAgAABxgCCXdpZGVuQmYxNgAACHdpZGVuRjE2AAEK1gMCjQEBAX8gACACQXhxQQF0aiEDAkADQCAAIANPDQEgASAA/QAEAP2pAUEQ/asB/QsEACABIAD9AAQA/aoBQRD9qwH9CwQQIABBEGohACABQSBqIQEMAAsLIAMgAkEHcUEBdGohAwJAA0AgACADTw0BIAEgAC8BAEEQdDYCACAAQQJqIQAgAUEEaiEBDAALCwvEAgIBfwh7Qf//Af0RIQdBgICA/Af9ESEIQwAAgHf9EyEJQYD4Af0RIQpBgIAC/REhCyAAIAJBeHFBAXRqIQMCQANAIAAgA08NASAA/QAEACEEIAEgBP2pASIFIAf9TkEN/asBIgYgCP1QIAYgCf3mASAFIAr9TiAK/Tf9UiAFIAv9TkEQ/asB/VD9CwQAIAEgBP2qASIFIAf9TkEN/asBIgYgCP1QIAYgCf3mASAFIAr9TiAK/Tf9UiAFIAv9TkEQ/asB/VD9CwQQIABBEGohACABQSBqIQEMAAsLIAMgAkEHcUEBdGohAwJAA0AgACADTw0BIAEgAC8BAP0RIgUgB/1OQQ39qwEiBiAI/VAgBiAJ/eYBIAUgCv1OIAr9N/1SIAUgC/1OQRD9qwH9UP1aAgAAIABBAmohACABQQRqIQEMAAsLCw==';

const PAGE = 65536;
/** wasm32 addresses are 32-bit; the module's loops compare end addresses, so stay a page below 4 GiB. */
const MAX_ARENA_BYTES = 2 ** 32 - PAGE;

let compiled: WebAssembly.Module | null | undefined;
function widenModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(WIDEN_WASM, 'base64'));
    } catch {
      compiled = null; // a runtime without wasm SIMD: the JS loop does the work
    }
  }
  return compiled;
}

const arenas = new WeakMap<ArrayBufferLike, WasmArena>();

/**
 * A fixed-size WebAssembly memory that typed arrays are carved from (held rows, a block to widen into), so
 * widening between them needs no copy. It never grows: growing would detach every view handed out.
 */
export class WasmArena {
  private used = 0;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly widen: Record<'F16' | 'BF16', (src: number, dst: number, n: number) => void>,
  ) {
    arenas.set(memory.buffer, this);
  }

  /** An arena of at least `bytes`, or null where WebAssembly SIMD is unavailable or the size is beyond wasm32. */
  static create(bytes: number): WasmArena | null {
    const module = widenModule();
    if (!module || bytes > MAX_ARENA_BYTES) return null;
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    } catch {
      return null; // address space refused: the caller falls back to ordinary arrays
    }
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as Record<'widenF16' | 'widenBf16', (src: number, dst: number, n: number) => void>;
    return new WasmArena(memory, { F16: exports.widenF16, BF16: exports.widenBf16 });
  }

  private take(bytes: number): number {
    const at = Math.ceil(this.used / 64) * 64; // cache-line aligned, as SIMD loads like
    if (at + bytes > this.memory.buffer.byteLength) throw new Error(`WasmArena: ${bytes} bytes do not fit`);
    this.used = at + bytes;
    return at;
  }

  uint8(length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.take(length), length);
  }

  uint16(length: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, this.take(length * 2), length);
  }

  float32(length: number): Float32Array {
    return new Float32Array(this.memory.buffer, this.take(length * 4), length);
  }

  /** Widens `bits` (F16 or BF16) into `out` when both are views of this arena; false otherwise. */
  widenWithin(bits: Uint16Array, dtype: 'F16' | 'BF16', out: Float32Array): boolean {
    if (bits.buffer !== this.memory.buffer || out.buffer !== this.memory.buffer) return false;
    this.widen[dtype](bits.byteOffset, out.byteOffset, bits.length);
    return true;
  }

  static of(buffer: ArrayBufferLike): WasmArena | undefined {
    return arenas.get(buffer);
  }
}

/** Values per round trip through the scratch arena: both halves stay in the L2 cache. */
const SCRATCH_VALUES = 64 * 1024;
let scratch: { arena: WasmArena; bits: Uint16Array; out: Float32Array } | null | undefined;

/**
 * F16 or BF16 bits → float32 in wasm: in place when both arrays live in one arena, through a small scratch
 * arena otherwise (two cache-resident copies are still far cheaper than the alternatives). False where wasm
 * SIMD is unavailable (the caller widens another way).
 */
export function widenWasm(bits: Uint16Array, dtype: 'F16' | 'BF16', out: Float32Array): boolean {
  if (WasmArena.of(bits.buffer)?.widenWithin(bits, dtype, out)) return true;
  if (scratch === undefined) {
    const a = WasmArena.create(SCRATCH_VALUES * 6 + 128);
    scratch = a ? { arena: a, bits: a.uint16(SCRATCH_VALUES), out: a.float32(SCRATCH_VALUES) } : null;
  }
  if (!scratch) return false;
  for (let start = 0; start < bits.length; start += SCRATCH_VALUES) {
    const n = Math.min(SCRATCH_VALUES, bits.length - start);
    const inBits = scratch.bits.subarray(0, n);
    const widened = scratch.out.subarray(0, n);
    inBits.set(bits.subarray(start, start + n));
    scratch.arena.widenWithin(inBits, dtype, widened);
    out.set(widened, start);
  }
  return true;
}
