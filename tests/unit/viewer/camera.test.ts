import { describe, expect, it } from 'vitest';
import {
  MAX_PITCH,
  defaultOrbit,
  eyePosition,
  fitDistance,
  focusOn,
  formatOrbit,
  formatPlane,
  lookAt,
  multiply,
  pan,
  parseOrbit,
  parsePlane,
  perspective,
  pickWindowMatrix,
  projectToScreen,
  rotate,
  viewProjection,
  wheelZoomFactor,
  zoom,
  type Orbit,
} from '../../../src/viewer/camera.ts';

const W = 800;
const H = 600;
const near = (a: number, b: number, eps = 1e-3) => expect(Math.abs(a - b)).toBeLessThan(eps);

describe('orbit camera math', () => {
  it('projects the target to the centre of the screen', () => {
    const o: Orbit = { yaw: 0.3, pitch: 0.4, distance: 3, target: [0.2, -0.1, 0.05] };
    const p = projectToScreen(viewProjection(o, W / H), o.target, W, H)!;
    near(p.x, W / 2);
    near(p.y, H / 2);
    expect(p.depth).toBeGreaterThan(-1);
    expect(p.depth).toBeLessThan(1);
  });
  it('is z-up: a point above the target appears above the centre', () => {
    const o: Orbit = { yaw: 1, pitch: 0.2, distance: 3, target: [0, 0, 0] };
    const p = projectToScreen(viewProjection(o, W / H), [0, 0, 0.5], W, H)!;
    near(p.x, W / 2);
    expect(p.y).toBeLessThan(H / 2);
  });
  it('returns null for points behind the camera', () => {
    const o: Orbit = { yaw: 0, pitch: 0, distance: 2, target: [0, 0, 0] };
    expect(projectToScreen(viewProjection(o, 1), [5, 0, 0], W, H)).toBeNull();
  });
  it('eye sits at the orbit distance', () => {
    const o: Orbit = { yaw: -2, pitch: 0.7, distance: 2.5, target: [1, 2, 3] };
    const e = eyePosition(o);
    near(Math.hypot(e[0] - 1, e[1] - 2, e[2] - 3), 2.5);
  });
  it('matrix helpers agree with a hand computation', () => {
    const id = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const p = perspective(Math.PI / 2, 2, 1, 10);
    expect(Array.from(multiply(id, p))).toEqual(Array.from(p));
    expect(Array.from(multiply(p, id))).toEqual(Array.from(p));
    near(p[0], 0.5);
    near(p[5], 1);
    const v = lookAt([0, 0, 5], [0, 0, 0], [0, 1, 0]);
    near(v[14], -5);
  });
  it('rotation wraps yaw and clamps pitch', () => {
    const o = defaultOrbit();
    const r = rotate(o, 100, 0);
    expect(r.yaw).not.toBe(o.yaw);
    expect(r.pitch).toBe(o.pitch);
    expect(rotate(o, 0, 1e6).pitch).toBe(MAX_PITCH);
    expect(rotate(o, 0, -1e6).pitch).toBe(-MAX_PITCH);
    const spun = rotate(o, 1e5, 0);
    expect(spun.yaw).toBeGreaterThanOrEqual(-Math.PI);
    expect(spun.yaw).toBeLessThan(Math.PI);
  });
  it('zoom clamps and wheel direction follows WheelEvent.deltaY', () => {
    const o = defaultOrbit();
    expect(zoom(o, 0.5).distance).toBeCloseTo(o.distance / 2);
    expect(zoom(o, 1e-9).distance).toBeGreaterThan(0);
    expect(wheelZoomFactor(100)).toBeGreaterThan(1);
    expect(wheelZoomFactor(-100)).toBeLessThan(1);
    expect(wheelZoomFactor(1e9)).toBe(wheelZoomFactor(300));
  });
  it('panning moves the scene with the pointer', () => {
    const o: Orbit = { yaw: 0.4, pitch: 0.3, distance: 3, target: [0, 0, 0] };
    const before = projectToScreen(viewProjection(o, W / H), [0, 0, 0], W, H)!;
    const moved = pan(o, 50, 20, H);
    const after = projectToScreen(viewProjection(moved, W / H), [0, 0, 0], W, H)!;
    near(after.x - before.x, 50, 0.5);
    near(after.y - before.y, 20, 0.5);
  });
  it('fits a sphere in the narrower direction', () => {
    expect(fitDistance(1, 0.5)).toBeGreaterThan(fitDistance(1, 2));
    near(fitDistance(1, 2), 1.05 / Math.sin(Math.PI / 8));
    // The whole sphere is on screen at the fitted distance.
    const o = defaultOrbit(1, W / H);
    for (const p of [[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [0, -1, 0], [0, 0, -1]]) {
      const s = projectToScreen(viewProjection(o, W / H), p, W, H)!;
      expect(s.x).toBeGreaterThan(0);
      expect(s.x).toBeLessThan(W);
      expect(s.y).toBeGreaterThan(0);
      expect(s.y).toBeLessThan(H);
    }
  });
  it('focusOn centres a point and never moves away', () => {
    const o = defaultOrbit();
    const f = focusOn(o, [0.5, 0.25, -0.1], 0.8);
    expect(f.target).toEqual([0.5, 0.25, -0.1]);
    expect(f.distance).toBe(0.8);
    expect(focusOn({ ...o, distance: 0.3 }, [0, 0, 0], 0.8).distance).toBe(0.3);
  });
  it('orbit and plane cameras survive the URL round trip', () => {
    const o: Orbit = { yaw: 0.5, pitch: -0.3, distance: 2.25, target: [0.1, -0.2, 0.3] };
    const back = parseOrbit(formatOrbit(o).split(',').map(Number))!;
    near(back.yaw, o.yaw, 1e-3);
    near(back.pitch, o.pitch, 1e-3);
    near(back.distance, o.distance);
    expect(back.target).toEqual(o.target);
    expect(parseOrbit([1, 2, 3])).toBeNull();
    expect(parseOrbit([0, 0, Number.NaN, 0, 0, 0])).toBeNull();
    expect(parseOrbit([0, 400, 1e9, 99, 0, 0])!.pitch).toBe(MAX_PITCH);
    const c = { target: [0.12345, -0.5] as [number, number], distance: 0.2 };
    expect(parsePlane(formatPlane(c).split(',').map(Number))).toEqual({ target: [0.1235, -0.5], distance: 0.2 });
    expect(parsePlane([0, 0, -1])).toBeNull();
    expect(parsePlane([0, 0])).toBeNull();
  });
  it('the pick window maps pixels around the cursor one to one onto the pick framebuffer', () => {
    const W2 = 800;
    const H2 = 600;
    const size = 9;
    const [cx, cy] = [300, 200];
    const m = pickWindowMatrix(cx, cy, W2, H2, size);
    // Centre of full-screen device pixel (px, py) in NDC, through the pick window, to pick-buffer pixels.
    const toPick = (px: number, py: number) => {
      const nx = ((px + 0.5) / W2) * 2 - 1;
      const ny = ((py + 0.5) / H2) * 2 - 1;
      const x = m[0] * nx + m[12];
      const y = m[5] * ny + m[13];
      return [((x + 1) / 2) * size - 0.5, ((y + 1) / 2) * size - 0.5];
    };
    const [a, b] = toPick(cx, cy);
    near(a, 4);
    near(b, 4);
    const [c, d] = toPick(cx - 4, cy + 3);
    near(c, 0);
    near(d, 7);
  });
});
