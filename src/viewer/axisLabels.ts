/**
 * The PC1–PC3 labels on the map: at the positive end of each axis line in 3D, along the edges in
 * the 2D views.
 */
import { projectToScreen, type Mat4 } from './camera.ts';
import { formatPercent } from './display.ts';
import { PLANE_AXES, type ViewName } from './urlState.ts';

export interface AxisLabels {
  place(view: ViewName, matrix: Mat4, size: { width: number; height: number }, canvas: HTMLElement): void;
}

export function createAxisLabels(map: HTMLElement, variance: number[], axisLengths: [number, number, number]): AxisLabels {
  const labels = [0, 1, 2].map((a) => {
    const el = document.createElement('span');
    el.className = 'axis-label';
    el.setAttribute('aria-hidden', 'true');
    el.textContent = `PC${a + 1}${Number.isFinite(variance[a]) && variance[a] > 0 ? ` ${formatPercent(variance[a])}` : ''}`;
    map.append(el);
    return el;
  });
  return {
    place(view, matrix, size, c) {
      if (view === '3d') {
        labels.forEach((el, a) => {
          const end = [0, 0, 0];
          end[a] = axisLengths[a] * 1.06;
          const p = projectToScreen(matrix, end, size.width, size.height);
          el.classList.remove('axis-x', 'axis-y');
          if (!p || p.depth > 1 || p.x < 0 || p.y < 0 || p.x > c.clientWidth || p.y > c.clientHeight) {
            el.hidden = true;
            return;
          }
          el.hidden = false;
          el.style.transform = `translate(${Math.round(p.x + c.offsetLeft - el.offsetWidth / 2)}px, ${Math.round(p.y + c.offsetTop - el.offsetHeight / 2)}px)`;
        });
        return;
      }
      const [ax, ay] = PLANE_AXES[view];
      labels.forEach((el, a) => {
        el.hidden = a !== ax && a !== ay;
        el.classList.toggle('axis-x', a === ax);
        el.classList.toggle('axis-y', a === ay);
        el.style.transform = '';
      });
    },
  };
}
