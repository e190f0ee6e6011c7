/**
 * The toolbar's "Labels" button (and the L key, through mapKeys.ts): switches the map's token
 * labels on and off; aria-pressed says which. The selection and its neighbours stay labelled.
 */
import type { LabelLayer } from './labelLayer.ts';

export interface LabelsToggle {
  toggle(): void;
}

export function createLabelsToggle(button: HTMLButtonElement | null, labels: LabelLayer, initiallyOn: boolean, onChange: () => void): LabelsToggle {
  const set = (on: boolean) => {
    labels.setEnabled(on);
    button?.setAttribute('aria-pressed', String(on));
  };
  const toggle = () => {
    set(!labels.enabled());
    onChange();
  };
  button?.addEventListener('click', toggle);
  set(initiallyOn);
  return { toggle };
}
