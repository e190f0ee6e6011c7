/**
 * Gets the map's data, or says in the status line why there is none: WebGL is checked first, so
 * a browser that cannot draw the map does not download it.
 */
import type { ExhibitPoints } from '../artifact/format.ts';
import { describeLoadError, fetchExhibit } from './data.ts';
import { WebGLUnavailableError, getWebGLContext } from './orbitRenderer.ts';
import type { ViewerStatus } from './viewerStatus.ts';

export async function loadExhibit(canvas: HTMLCanvasElement, pointsUrl: string, status: ViewerStatus): Promise<ExhibitPoints | null> {
  try {
    getWebGLContext(canvas);
  } catch (e) {
    status.fail(e instanceof WebGLUnavailableError ? `${e.message} Try a current browser with hardware acceleration turned on.` : String(e));
    return null;
  }
  try {
    return await fetchExhibit(pointsUrl);
  } catch (e) {
    status.fail(describeLoadError(e));
    return null;
  }
}
