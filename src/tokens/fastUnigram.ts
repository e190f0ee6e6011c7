/**
 * Unigram (T5, SentencePiece-unigram models) Viterbi over integer tables. transformers.js builds a
 * lattice of node objects per word and walks a trie of Maps keyed by one-character strings; on a
 * corpus that is most of the time of counting even with each distinct word encoded once.
 *
 * Same result as transformers.js `Unigram.tokenize`, step for step: nodes are inserted by start
 * position, then by length (the trie's prefix order), an unknown node of one code point where no
 * one-code-point piece starts; each node's best predecessor is the first, in insertion order, of the
 * nodes ending where it begins with the greatest `backtrace + score` (computed per pair, so floating
 * point ties break exactly as there).
 */

export interface UnigramTables {
  /** Token strings of one word, as `model.encode([word])` gives them. */
  tokens(word: string): string[];
}

export interface UnigramModel {
  /** The pieces the library's trie was built from (tokenizer.json's vocab, in order). */
  pieces: readonly string[];
  /** The id and score the library gives a piece found in the trie. */
  idOf(piece: string): number | undefined;
  scoreOf(id: number): number;
  unkScore: number;
}

export function unigramTables(model: UnigramModel): UnigramTables | null {
  // Trie over code points: (node, code point) → child, open addressing; leafId/leafScore per node.
  let total = 0;
  for (const p of model.pieces) total += p.length;
  let size = 16;
  while (size < total * 2) size <<= 1;
  const mask = size - 1;
  const edgeNode = new Int32Array(size).fill(-1);
  const edgeCp = new Int32Array(size);
  const edgeChild = new Int32Array(size);
  const leafId: number[] = [-1];
  const leafScore: number[] = [0];
  let nodes = 1;
  const slot = (node: number, cp: number) => {
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(cp, 0x85ebca6b)) & mask;
    while (edgeNode[h] !== -1 && (edgeNode[h] !== node || edgeCp[h] !== cp)) h = (h + 1) & mask;
    return h;
  };
  for (const piece of model.pieces) {
    let node = 0;
    for (const ch of piece) {
      const cp = ch.codePointAt(0)!;
      const h = slot(node, cp);
      if (edgeNode[h] === -1) {
        edgeNode[h] = node;
        edgeCp[h] = cp;
        edgeChild[h] = nodes++;
        leafId.push(-1);
        leafScore.push(0);
      }
      node = edgeChild[h];
    }
    if (node === 0) continue;
    const id = model.idOf(piece);
    if (id === undefined) return null;
    const score = model.scoreOf(id);
    if (typeof score !== 'number' || Number.isNaN(score)) return null;
    leafId[node] = id;
    leafScore[node] = score;
  }
  const leafIds = Int32Array.from(leafId);
  const leafScores = Float64Array.from(leafScore);
  const { unkScore } = model;

  // Per-word scratch, grown on demand. Node 0 is BOS (ends at 0).
  let cps = new Int32Array(64);
  let offsets = new Int32Array(65);
  let nodeStart = new Int32Array(256);
  let nodeLen = new Int32Array(256);
  let nodeScore = new Float64Array(256);
  let nodeBack = new Float64Array(256);
  let nodePrev = new Int32Array(256);
  let endHead = new Int32Array(65);
  let endNext = new Int32Array(256);
  let endTail = new Int32Array(65);
  let nodeCount = 0;
  const addNode = (start: number, length: number, score: number) => {
    if (nodeCount === nodeStart.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      nodeStart = grow(nodeStart);
      nodeLen = grow(nodeLen);
      nodeScore = grow(nodeScore);
      nodeBack = grow(nodeBack);
      nodePrev = grow(nodePrev);
      endNext = grow(endNext);
    }
    const i = nodeCount++;
    nodeStart[i] = start;
    nodeLen[i] = length;
    nodeScore[i] = score;
    nodeBack[i] = 0;
    nodePrev[i] = -1;
    // Appended to the list of nodes ending at start + length, keeping insertion order.
    const end = start + length;
    endNext[i] = -1;
    if (endHead[end] === -1) endHead[end] = i;
    else endNext[endTail[end]] = i;
    endTail[end] = i;
  };

  return {
    tokens(word: string): string[] {
      let n = 0;
      if (cps.length < word.length) {
        cps = new Int32Array(word.length * 2);
        offsets = new Int32Array(word.length * 2 + 1);
        endHead = new Int32Array(word.length * 2 + 1);
        endTail = new Int32Array(word.length * 2 + 1);
      }
      for (let i = 0; i < word.length; ) {
        const cp = word.codePointAt(i)!;
        offsets[n] = i;
        cps[n++] = cp;
        i += cp > 0xffff ? 2 : 1;
      }
      offsets[n] = word.length;
      if (n === 0) return [];
      endHead.fill(-1, 0, n + 1);
      nodeCount = 0;
      addNode(0, 0, 0); // BOS
      const firstAt = new Int32Array(n + 1);
      for (let o = 0; o < n; o++) {
        firstAt[o] = nodeCount;
        let single = false;
        let node = 0;
        for (let i = o; i < n; i++) {
          const h = slot(node, cps[i]);
          if (edgeNode[h] === -1) break;
          node = edgeChild[h];
          if (leafIds[node] >= 0) {
            addNode(o, i - o + 1, leafScores[node]);
            if (i === o) single = true;
          }
        }
        if (!single) addNode(o, 1, unkScore);
      }
      firstAt[n] = nodeCount;
      // Viterbi: every node beginning at t takes its best predecessor among the nodes ending at t.
      for (let t = 0; t < n; t++) {
        for (let i = firstAt[t]; i < firstAt[t + 1]; i++) {
          let best = -1;
          let bestScore = 0;
          for (let p = endHead[t]; p !== -1; p = endNext[p]) {
            const score = nodeBack[p] + nodeScore[i];
            if (best === -1 || score > bestScore) {
              best = p;
              bestScore = score;
            }
          }
          if (best === -1) return [];
          nodePrev[i] = best;
          nodeBack[i] = bestScore;
        }
      }
      // EOS: score 0.
      let last = -1;
      let lastScore = 0;
      for (let p = endHead[n]; p !== -1; p = endNext[p]) {
        const score = nodeBack[p] + 0;
        if (last === -1 || score > lastScore) {
          last = p;
          lastScore = score;
        }
      }
      const out: string[] = [];
      for (let i = last; i > 0; i = nodePrev[i]) out.push(word.slice(offsets[nodeStart[i]], offsets[nodeStart[i] + nodeLen[i]]));
      out.reverse();
      return out;
    },
  };
}
