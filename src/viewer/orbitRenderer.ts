/**
 * The 3D view: a small regl point renderer.
 *
 * Positions, colours and picking ids are uploaded to the GPU once; a frame only changes the
 * 4×4 view-projection uniform, so rotating costs one draw call and no per-point CPU work.
 * Picking (hover, click) draws the same buffers with id colours into an offscreen framebuffer,
 * on demand and scissored to a few pixels around the cursor, then reads those pixels back.
 */
import createREGL from 'regl';
import { multiply, pickWindowMatrix, type Mat4 } from './camera.ts';

export class WebGLUnavailableError extends Error {
  override name = 'WebGLUnavailableError';
}

export interface Highlight {
  /** Point index. */
  index: number;
  /** Diameter in CSS pixels. */
  size: number;
  /** Ring colour, RGB in [0, 1]. */
  ring: [number, number, number];
}

export interface OrbitRenderer {
  /** Device pixels per CSS pixel the canvas is drawn at. */
  readonly pixelRatio: number;
  setColors(colors: Uint8Array): void;
  /** 1 per drawn point, 0 per hidden one; null draws every point. */
  setVisibility(mask: Uint8Array | null): void;
  setHighlights(highlights: Highlight[]): void;
  /** Matches the drawing buffer to the canvas's CSS size; returns that size. */
  resize(): { width: number; height: number };
  render(matrix: Mat4): void;
  /** Index of the front-most point within `radius` CSS pixels of (x, y), or -1. */
  pick(matrix: Mat4, x: number, y: number, radius: number): number;
  destroy(): void;
}

const VERT = `
precision mediump float;
attribute vec3 position;
attribute vec3 color;
attribute float visible;
uniform mat4 matrix;
uniform float pointSize;
varying vec3 vColor;
void main() {
  // A point switched off in the legend lands outside the clip volume: not drawn, not picked.
  gl_Position = visible < 0.5 ? vec4(2.0, 2.0, 2.0, 1.0) : matrix * vec4(position, 1.0);
  gl_PointSize = pointSize;
  vColor = color;
}`;

const FRAG = `
precision mediump float;
varying vec3 vColor;
void main() {
  vec2 c = gl_PointCoord - 0.5;
  float r = dot(c, c);
  if (r > 0.25) discard;
  gl_FragColor = vec4(vColor * (1.0 - 0.9 * r), 1.0);
}`;

const PICK_FRAG = `
precision mediump float;
varying vec3 vColor;
void main() {
  vec2 c = gl_PointCoord - 0.5;
  if (dot(c, c) > 0.25) discard;
  gl_FragColor = vec4(vColor, 1.0);
}`;

const RING_VERT = `
precision mediump float;
attribute vec3 position;
attribute vec3 color;
attribute vec3 ring;
attribute float size;
uniform mat4 matrix;
uniform float pixelRatio;
varying vec3 vColor;
varying vec3 vRing;
void main() {
  gl_Position = matrix * vec4(position, 1.0);
  gl_PointSize = size * pixelRatio;
  vColor = color;
  vRing = ring;
}`;

const RING_FRAG = `
precision mediump float;
varying vec3 vColor;
varying vec3 vRing;
void main() {
  float r = length(gl_PointCoord - 0.5) * 2.0;
  if (r > 1.0) discard;
  gl_FragColor = r > 0.62 ? vec4(vRing, 1.0) : (r > 0.48 ? vec4(0.0, 0.0, 0.0, 1.0) : vec4(vColor, 1.0));
}`;

export interface OrbitRendererOptions {
  canvas: HTMLCanvasElement;
  /** Normalised x,y,z per point. */
  positions: Float32Array;
  /** RGB bytes per point. */
  colors: Uint8Array;
  /** Point diameter in CSS pixels. */
  pointSize: number;
  background: [number, number, number];
  /** Cap on the device pixel ratio (software GL pays for every pixel). */
  maxPixelRatio?: number;
  /** Half-lengths of the PC1, PC2, PC3 axis lines (normalised units). */
  axes?: [number, number, number];
}

/** Gets a WebGL context or throws WebGLUnavailableError. */
export function getWebGLContext(canvas: HTMLCanvasElement): WebGLRenderingContext {
  let gl: WebGLRenderingContext | null = null;
  try {
    gl = canvas.getContext('webgl', { antialias: false, alpha: false, depth: true, preserveDrawingBuffer: false });
  } catch {
    gl = null;
  }
  if (!gl) throw new WebGLUnavailableError('WebGL is not available in this browser, so the map cannot be drawn.');
  return gl;
}

export function createOrbitRenderer(options: OrbitRendererOptions): OrbitRenderer {
  const { canvas, positions } = options;
  const gl = getWebGLContext(canvas);
  const regl = createREGL({ gl });
  const count = positions.length / 3;
  const pixelRatio = Math.min(options.maxPixelRatio ?? 2, window.devicePixelRatio || 1);

  const positionBuffer = regl.buffer({ data: positions, usage: 'static' });
  const colorBuffer = regl.buffer({ data: options.colors, usage: 'static' });
  const pickIds = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    const v = i + 1;
    pickIds[i * 3] = v & 0xff;
    pickIds[i * 3 + 1] = (v >> 8) & 0xff;
    pickIds[i * 3 + 2] = (v >> 16) & 0xff;
  }
  const pickBuffer = regl.buffer({ data: pickIds, usage: 'static' });
  const allVisible = new Uint8Array(count).fill(1);
  const visibleBuffer = regl.buffer({ data: allVisible, usage: 'dynamic' });
  const colorsFloat = { current: options.colors };

  // Highlight rings: a handful of points, rebuilt when the highlights change.
  const ringPositions = regl.buffer({ data: new Float32Array(3), usage: 'dynamic' });
  const ringColors = regl.buffer({ data: new Float32Array(3), usage: 'dynamic' });
  const ringRings = regl.buffer({ data: new Float32Array(3), usage: 'dynamic' });
  const ringSizes = regl.buffer({ data: new Float32Array(1), usage: 'dynamic' });
  let ringCount = 0;

  const background = options.background.map((c) => c / 255) as [number, number, number];

  const drawPoints = regl({
    vert: VERT,
    frag: FRAG,
    attributes: {
      position: { buffer: positionBuffer, size: 3 },
      color: { buffer: colorBuffer, size: 3, normalized: true, type: 'uint8' },
      visible: { buffer: visibleBuffer, size: 1, normalized: false, type: 'uint8' },
    },
    uniforms: {
      matrix: regl.prop<{ matrix: Mat4; pointSize: number }, 'matrix'>('matrix'),
      pointSize: regl.prop<{ matrix: Mat4; pointSize: number }, 'pointSize'>('pointSize'),
    },
    count,
    primitive: 'points',
    depth: { enable: true },
  });

  const drawPick = regl({
    vert: VERT,
    frag: PICK_FRAG,
    attributes: {
      position: { buffer: positionBuffer, size: 3 },
      color: { buffer: pickBuffer, size: 3, normalized: true, type: 'uint8' },
      visible: { buffer: visibleBuffer, size: 1, normalized: false, type: 'uint8' },
    },
    uniforms: {
      matrix: regl.prop<PickProps, 'matrix'>('matrix'),
      pointSize: regl.prop<PickProps, 'pointSize'>('pointSize'),
    },
    count,
    primitive: 'points',
    depth: { enable: true },
    scissor: { enable: true, box: regl.prop<PickProps, 'box'>('box') },
    framebuffer: regl.prop<PickProps, 'framebuffer'>('framebuffer'),
  });

  const drawRings = regl({
    vert: RING_VERT,
    frag: RING_FRAG,
    attributes: {
      position: { buffer: ringPositions, size: 3 },
      color: { buffer: ringColors, size: 3 },
      ring: { buffer: ringRings, size: 3 },
      size: { buffer: ringSizes, size: 1 },
    },
    uniforms: {
      matrix: regl.prop<{ matrix: Mat4; count: number }, 'matrix'>('matrix'),
      pixelRatio: () => pixelRatio,
    },
    count: regl.prop<{ matrix: Mat4; count: number }, 'count'>('count'),
    primitive: 'points',
    depth: { enable: false },
  });

  // Axis lines through the centre of the data box, one per principal component.
  const axes = options.axes ?? [1, 1, 1];
  // prettier-ignore
  const axisVertices = new Float32Array([
    -axes[0], 0, 0, axes[0], 0, 0,
    0, -axes[1], 0, 0, axes[1], 0,
    0, 0, -axes[2], 0, 0, axes[2],
  ]);
  const drawAxes = regl({
    vert: `
precision mediump float;
attribute vec3 position;
uniform mat4 matrix;
void main() { gl_Position = matrix * vec4(position, 1.0); }`,
    frag: `
precision mediump float;
void main() { gl_FragColor = vec4(0.42, 0.45, 0.52, 1.0); }`,
    attributes: { position: axisVertices },
    uniforms: { matrix: regl.prop<{ matrix: Mat4 }, 'matrix'>('matrix') },
    count: 6,
    primitive: 'lines',
    depth: { enable: true },
  });

  const pickFbo = regl.framebuffer({ width: 1, height: 1, depth: true });
  const pickSize = { width: 1, height: 1 };
  const pointSize = options.pointSize * pixelRatio;
  let destroyed = false;

  return {
    pixelRatio,
    setColors(colors) {
      colorsFloat.current = colors;
      colorBuffer.subdata(colors);
    },
    setVisibility(mask) {
      visibleBuffer.subdata(mask && mask.length === count ? mask : allVisible);
    },
    setHighlights(highlights) {
      const valid = highlights.filter((h) => h.index >= 0 && h.index < count);
      ringCount = valid.length;
      if (ringCount === 0) return;
      const p = new Float32Array(ringCount * 3);
      const c = new Float32Array(ringCount * 3);
      const r = new Float32Array(ringCount * 3);
      const s = new Float32Array(ringCount);
      valid.forEach((h, k) => {
        p.set(positions.subarray(h.index * 3, h.index * 3 + 3), k * 3);
        for (let a = 0; a < 3; a++) c[k * 3 + a] = colorsFloat.current[h.index * 3 + a] / 255;
        r.set(h.ring, k * 3);
        s[k] = h.size;
      });
      ringPositions({ data: p, usage: 'dynamic' });
      ringColors({ data: c, usage: 'dynamic' });
      ringRings({ data: r, usage: 'dynamic' });
      ringSizes({ data: s, usage: 'dynamic' });
    },
    resize() {
      const width = Math.max(1, canvas.clientWidth);
      const height = Math.max(1, canvas.clientHeight);
      const w = Math.round(width * pixelRatio);
      const h = Math.round(height * pixelRatio);
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
        regl.poll();
      }
      return { width, height };
    },
    render(matrix) {
      if (destroyed) return;
      regl.poll();
      regl.clear({ color: [...background, 1], depth: 1 });
      drawAxes({ matrix });
      drawPoints({ matrix, pointSize });
      if (ringCount > 0) drawRings({ matrix, count: ringCount });
    },
    pick(matrix, x, y, radius) {
      if (destroyed || count === 0) return -1;
      const w = canvas.width;
      const h = canvas.height;
      const r = Math.max(1, Math.round(radius * pixelRatio));
      const size = 2 * r + 1;
      // Device pixel under the cursor, GL convention (origin bottom-left).
      const cx = Math.round(x * pixelRatio);
      const cy = h - 1 - Math.round(y * pixelRatio);
      if (cx < -r || cy < -r || cx > w + r || cy > h + r) return -1;
      // Render only the (2r+1)² pixels around the cursor: a pick matrix maps that window of the
      // screen onto a tiny framebuffer, so clearing, drawing and reading back stay cheap.
      const pickWindow = pickWindowMatrix(cx, cy, w, h, size);
      if (pickSize.width !== size) {
        pickFbo.resize(size, size);
        pickSize.width = pickSize.height = size;
      }
      const box = { x: 0, y: 0, width: size, height: size };
      regl.clear({ color: [0, 0, 0, 0], depth: 1, framebuffer: pickFbo });
      drawPick({ matrix: multiply(pickWindow, matrix), pointSize: pointSize + 2 * pixelRatio, box, framebuffer: pickFbo });
      let pixels: Uint8Array;
      try {
        pixels = regl.read({ framebuffer: pickFbo, x: 0, y: 0, width: size, height: size }) as Uint8Array;
      } catch {
        return -1;
      }
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < size; j++) {
        for (let i = 0; i < size; i++) {
          const o = (j * size + i) * 4;
          const v = pixels[o] | (pixels[o + 1] << 8) | (pixels[o + 2] << 16);
          if (v === 0) continue;
          const d = (i - r) ** 2 + (j - r) ** 2;
          if (d < bestD && d <= r * r) {
            bestD = d;
            best = v - 1;
          }
        }
      }
      return best < count ? best : -1;
    },
    destroy() {
      destroyed = true;
      regl.destroy();
    },
  };
}

interface PickProps {
  matrix: Mat4;
  pointSize: number;
  box: { x: number; y: number; width: number; height: number };
  framebuffer: ReturnType<ReturnType<typeof createREGL>['framebuffer']>;
}
