/**
 * Orbit camera for the 3D view, and the small amount of matrix math it needs.
 *
 * The map's coordinates are normalised (see `normalizePositions` in data.ts) so the cloud sits in
 * [-1, 1]³ around the origin. The camera orbits `target` at `distance`, z up (like Plotly's 3D
 * scatter): `yaw` turns around the z axis, `pitch` tilts towards the pole. Matrices are
 * column-major Float32Arrays, as WebGL wants them.
 *
 * Screen positions (documented for tests): `projectToScreen(viewProjection(orbit, w / h), p, w, h)`
 * returns CSS pixels from the top-left corner of the canvas.
 */
export type Vec3 = [number, number, number];
export type Mat4 = Float32Array;

export interface Orbit {
  /** Radians around the z axis. */
  yaw: number;
  /** Radians above the xy plane, within ±MAX_PITCH. */
  pitch: number;
  distance: number;
  target: Vec3;
}

export const FOV_Y = Math.PI / 4;
export const MAX_PITCH = Math.PI / 2 - 0.01;
export const MIN_DISTANCE = 0.02;
export const MAX_DISTANCE = 40;
/** Radians of rotation per CSS pixel of drag. */
export const ROTATE_SPEED = 0.006;

export function defaultOrbit(radius = Math.sqrt(3), aspect = 1.6): Orbit {
  return { yaw: -0.7, pitch: 0.42, distance: fitDistance(radius, aspect), target: [0, 0, 0] };
}

/** Distance at which a sphere of `radius` around the target fits the viewport. */
export function fitDistance(radius: number, aspect: number): number {
  const halfY = FOV_Y / 2;
  const halfX = Math.atan(Math.tan(halfY) * aspect);
  const half = Math.min(halfX, halfY);
  return clamp((radius * 1.05) / Math.sin(half), MIN_DISTANCE, MAX_DISTANCE);
}

export function eyePosition(o: Orbit): Vec3 {
  const c = Math.cos(o.pitch);
  return [
    o.target[0] + o.distance * c * Math.cos(o.yaw),
    o.target[1] + o.distance * c * Math.sin(o.yaw),
    o.target[2] + o.distance * Math.sin(o.pitch),
  ];
}

export function perspective(fovY: number, aspect: number, near: number, far: number): Mat4 {
  const f = 1 / Math.tan(fovY / 2);
  const nf = 1 / (near - far);
  // prettier-ignore
  return new Float32Array([
    f / aspect, 0, 0, 0,
    0, f, 0, 0,
    0, 0, (far + near) * nf, -1,
    0, 0, 2 * far * near * nf, 0,
  ]);
}

export function lookAt(eye: Vec3, center: Vec3, up: Vec3): Mat4 {
  const z = normalize(sub(eye, center));
  let x = cross(up, z);
  if (length(x) < 1e-9) x = cross([0, 1, 0], z);
  x = normalize(x);
  const y = cross(z, x);
  // prettier-ignore
  return new Float32Array([
    x[0], y[0], z[0], 0,
    x[1], y[1], z[1], 0,
    x[2], y[2], z[2], 0,
    -dot(x, eye), -dot(y, eye), -dot(z, eye), 1,
  ]);
}

/** a × b for column-major 4×4 matrices. */
export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out = new Float32Array(16);
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 4; row++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + row] * b[col * 4 + k];
      out[col * 4 + row] = s;
    }
  }
  return out;
}

/** Projection × view for the orbit; the one matrix the point shader needs. */
export function viewProjection(o: Orbit, aspect: number): Mat4 {
  const near = Math.max(0.001, o.distance * 0.01);
  const far = o.distance + 8;
  return multiply(perspective(FOV_Y, aspect, near, far), lookAt(eyePosition(o), o.target, [0, 0, 1]));
}

/**
 * Maps the `size`×`size` device-pixel window centred on pixel (cx, cy) of a `width`×`height`
 * drawing buffer (GL convention: origin bottom-left) onto the whole clip space, so drawing with
 * `pickWindow × viewProjection` into a `size`×`size` framebuffer renders exactly that window,
 * pixel for pixel (used for GPU picking).
 */
export function pickWindowMatrix(cx: number, cy: number, width: number, height: number, size: number): Mat4 {
  const ncx = ((cx + 0.5) / width) * 2 - 1;
  const ncy = ((cy + 0.5) / height) * 2 - 1;
  const sx = width / size;
  const sy = height / size;
  // prettier-ignore
  return new Float32Array([
    sx, 0, 0, 0,
    0, sy, 0, 0,
    0, 0, 1, 0,
    -ncx * sx, -ncy * sy, 0, 1,
  ]);
}

/**
 * A point's position on screen in CSS pixels (origin top-left) and its depth in [-1, 1]
 * (smaller is nearer); null when it is behind the camera.
 */
export function projectToScreen(
  m: Mat4,
  p: ArrayLike<number>,
  width: number,
  height: number,
): { x: number; y: number; depth: number } | null {
  const x = m[0] * p[0] + m[4] * p[1] + m[8] * p[2] + m[12];
  const y = m[1] * p[0] + m[5] * p[1] + m[9] * p[2] + m[13];
  const z = m[2] * p[0] + m[6] * p[1] + m[10] * p[2] + m[14];
  const w = m[3] * p[0] + m[7] * p[1] + m[11] * p[2] + m[15];
  if (w <= 1e-9) return null;
  return { x: ((x / w + 1) / 2) * width, y: ((1 - y / w) / 2) * height, depth: z / w };
}

/** Drag by (dx, dy) CSS pixels: right drags turn the scene right, down drags tilt it down. */
export function rotate(o: Orbit, dx: number, dy: number): Orbit {
  return {
    ...o,
    yaw: wrapAngle(o.yaw - dx * ROTATE_SPEED),
    pitch: clamp(o.pitch + dy * ROTATE_SPEED, -MAX_PITCH, MAX_PITCH),
  };
}

/** factor < 1 moves closer. */
export function zoom(o: Orbit, factor: number): Orbit {
  return { ...o, distance: clamp(o.distance * factor, MIN_DISTANCE, MAX_DISTANCE) };
}

/** Wheel delta (pixels, positive = away from the screen, as `WheelEvent.deltaY`) to a zoom factor. */
export function wheelZoomFactor(deltaY: number): number {
  return Math.exp(clamp(deltaY, -300, 300) * 0.0015);
}

/** Moves the target so the scene follows a drag of (dx, dy) CSS pixels in a viewport `height` tall. */
export function pan(o: Orbit, dx: number, dy: number, height: number): Orbit {
  const eye = eyePosition(o);
  const forward = normalize(sub(o.target, eye));
  let right = cross(forward, [0, 0, 1]);
  if (length(right) < 1e-9) right = [1, 0, 0];
  right = normalize(right);
  const up = cross(right, forward);
  const worldPerPixel = (2 * o.distance * Math.tan(FOV_Y / 2)) / Math.max(1, height);
  const t: Vec3 = [0, 1, 2].map((k) => o.target[k] - right[k] * dx * worldPerPixel + up[k] * dy * worldPerPixel) as Vec3;
  return { ...o, target: t };
}

/** Centres `point`, moving closer if the camera is far away. */
export function focusOn(o: Orbit, point: ArrayLike<number>, maxDistance = 0.9): Orbit {
  return { ...o, target: [point[0], point[1], point[2]], distance: Math.min(o.distance, maxDistance) };
}

/** `yaw,pitch,distance,tx,ty,tz` with angles in degrees: compact and readable in a URL. */
export function formatOrbit(o: Orbit): string {
  const deg = (r: number) => round((r * 180) / Math.PI, 1);
  return [deg(o.yaw), deg(o.pitch), round(o.distance, 3), ...o.target.map((v) => round(v, 3))].join(',');
}

export function parseOrbit(values: number[] | undefined): Orbit | null {
  if (!values || values.length !== 6 || !values.every(Number.isFinite)) return null;
  const rad = (d: number) => (d * Math.PI) / 180;
  return {
    yaw: wrapAngle(rad(values[0])),
    pitch: clamp(rad(values[1]), -MAX_PITCH, MAX_PITCH),
    distance: clamp(values[2], MIN_DISTANCE, MAX_DISTANCE),
    target: [clamp(values[3], -10, 10), clamp(values[4], -10, 10), clamp(values[5], -10, 10)],
  };
}

/** The 2D views' camera (regl-scatterplot's target and distance), as `x,y,distance` in a URL. */
export interface PlaneCamera {
  target: [number, number];
  distance: number;
}

export function formatPlane(c: PlaneCamera): string {
  return [round(c.target[0], 4), round(c.target[1], 4), round(c.distance, 4)].join(',');
}

export function parsePlane(values: number[] | undefined): PlaneCamera | null {
  if (!values || values.length !== 3 || !values.every(Number.isFinite) || values[2] <= 0) return null;
  return { target: [clamp(values[0], -10, 10), clamp(values[1], -10, 10)], distance: clamp(values[2], 0.001, 100) };
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function wrapAngle(a: number): number {
  const t = 2 * Math.PI;
  return ((((a + Math.PI) % t) + t) % t) - Math.PI;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const length = (a: Vec3) => Math.sqrt(dot(a, a));
const normalize = (a: Vec3): Vec3 => {
  const l = length(a) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
};
