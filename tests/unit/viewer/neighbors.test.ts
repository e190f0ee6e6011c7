import { describe, expect, it } from 'vitest';
import { TokenFlag } from '../../../src/artifact/format.ts';
import { readNeighbors } from '../../../src/artifact/readNeighbors.ts';
import { encodeNeighbors } from '../../../src/artifact/writeNeighbors.ts';
import { neighborsOf } from '../../../src/viewer/neighbors.ts';

const points = {
  ids: Uint32Array.from([5, 9, 12]),
  texts: ['cat', 'dog', '<b>bird</b>'],
  pieces: ['▁cat', '▁dog', '<b>bird</b>'],
  flags: Uint8Array.from([0, 0, 0]),
};

describe('neighbours of a selection', () => {
  it('names each neighbour, on the map or from the extra table, nearest first, as neighbors.bin stores them', () => {
    // Point 0 (cat): dog (on the map), then token 77 (not on the map), then bird.
    const bytes = encodeNeighbors({
      k: 3,
      count: 3,
      refs: Uint32Array.from([1, 3, 2, 0, 2, 3, 0, 1, 3]),
      similarities: Float32Array.from([0.9, 0.5, 0.25, 0.9, 0.4, 0.3, 0.8, 0.4, 0.2]),
      extra: { ids: Uint32Array.from([77]), texts: ['\u202Eevil'], pieces: ['\u202Eevil'], special: [false], byteToken: [true] },
    });
    const data = readNeighbors(bytes, 3);
    const list = neighborsOf(data, points, 0);
    expect(list.map((nb) => [nb.rank, nb.index, nb.id, nb.text])).toEqual([
      [1, 1, 9, 'dog'],
      [2, -1, 77, '\u202Eevil'],
      [3, 2, 12, '<b>bird</b>'],
    ]);
    expect(list.map((nb) => Number(nb.similarity.toFixed(3)))).toEqual([0.9, 0.5, 0.25]);
    expect(list[1].flags & TokenFlag.byte).toBeTruthy();
    expect(neighborsOf(data, points, -1)).toEqual([]);
    expect(neighborsOf(data, points, 3)).toEqual([]);
  });
});
