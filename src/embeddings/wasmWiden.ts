/**
 * bfloat16 → float32 in WebAssembly SIMD (eight values per instruction): ~10× the fastest JS shift loop. A
 * 128k × 4096 BF16 vocabulary is widened once per PCA pass (525M values), so this is on the critical path.
 * The module is widenBf16.wat beside this file; WIDEN_WASM below is its compiled form (tests/wasmWiden.test.ts
 * compiles the .wat again and checks the bytes are the same).
 */
export const WIDEN_WASM = 'AGFzbQEAAAABBwFgA39/fwACDwEDZW52Bm1lbW9yeQIAAQMCAQAHDQEJd2lkZW5CZjE2AAAKkAEBjQEBAX8gACACQXhxQQF0aiEDAkADQCAAIANPDQEgASAA/QAEAP2pAUEQ/asB/QsEACABIAD9AAQA/aoBQRD9qwH9CwQQIABBEGohACABQSBqIQEMAAsLIAMgAkEHcUEBdGohAwJAA0AgACADTw0BIAEgAC8BAEEQdDYCACAAQQJqIQAgAUEEaiEBDAALCws=';

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
    private readonly widen: (src: number, dst: number, n: number) => void,
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
    return new WasmArena(memory, instance.exports.widenBf16 as (src: number, dst: number, n: number) => void);
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

  /** Widens `bits` into `out` when both are views of this arena; false otherwise. */
  widenWithin(bits: Uint16Array, out: Float32Array): boolean {
    if (bits.buffer !== this.memory.buffer || out.buffer !== this.memory.buffer || bits.byteOffset % 2 !== 0) return false;
    this.widen(bits.byteOffset, out.byteOffset, bits.length);
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
 * bfloat16 bits → float32 in wasm: in place when both arrays live in one arena, through a small scratch arena
 * otherwise (two cache-resident copies are still far cheaper than the JS loop). False where wasm SIMD is
 * unavailable (the caller widens in JS).
 */
export function widenBf16Wasm(bits: Uint16Array, out: Float32Array): boolean {
  if (WasmArena.of(bits.buffer)?.widenWithin(bits, out)) return true;
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
    scratch.arena.widenWithin(inBits, widened);
    out.set(widened, start);
  }
  return true;
}
