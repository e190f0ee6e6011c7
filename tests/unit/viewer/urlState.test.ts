import { describe, expect, it } from 'vitest';
import { formatUrlState, parseUrlState } from '../../../src/viewer/urlState.ts';

describe('URL state', () => {
  it('parses view, id, token, colour and camera', () => {
    expect(parseUrlState('?view=xy&id=5002&color=log&cam=0.1,-0.2,0.5')).toEqual({ view: 'xy', id: 5002, color: 'log', cam: [0.1, -0.2, 0.5] });
    expect(parseUrlState('?token=Switzerland')).toEqual({ token: 'Switzerland' });
    expect(parseUrlState('?token=%E2%96%81Birmingham')).toEqual({ token: '▁Birmingham' });
    expect(parseUrlState('?token=%3Cimg%20src%3Dx%3E')).toEqual({ token: '<img src=x>' });
    expect(parseUrlState('?VIEW=3D'.toLowerCase())).toEqual({ view: '3d' });
  });
  it('ignores what it does not understand', () => {
    expect(parseUrlState('?view=4d&id=-1&color=red&cam=a,b,c&token=')).toEqual({});
    expect(parseUrlState('?id=12abc&cam=1,2')).toEqual({});
    expect(parseUrlState('?cam=1,2,3,4,5,6,7')).toEqual({});
    expect(parseUrlState('?token=' + 'x'.repeat(201))).toEqual({});
    expect(parseUrlState('')).toEqual({});
  });
  it('writes a compact query, keeps foreign parameters and leaves defaults out', () => {
    expect(formatUrlState({ view: '3d' })).toBe('');
    expect(formatUrlState({ view: 'xz', id: 7, cam: [1, 2, 0.5] }, '?utm_source=blog&view=xy')).toBe('?utm_source=blog&view=xz&id=7&cam=1,2,0.5');
    expect(formatUrlState({ token: 'Switzerland', color: 'log' })).toBe('?token=Switzerland&color=log');
    // id wins over token
    expect(formatUrlState({ id: 3, token: 'x' })).toBe('?id=3');
  });
  it('round-trips', () => {
    const states = [
      { view: 'yz' as const, id: 0, color: 'log' as const, cam: [0.5, -0.25, 0.125] },
      { view: 'xy' as const, token: '<script>alert(1)</script> & ?#' },
      { id: 31999, cam: [-40, 25.5, 2.1, 0, 0.1, -0.2] },
    ];
    for (const s of states) expect(parseUrlState(formatUrlState(s))).toEqual(s);
  });
});

describe('URL state of the new controls', () => {
  it('carries the "Colour by" facet, the hidden categories and the labels switch', () => {
    expect(parseUrlState('?color=script&hide=3,0,3&labels=off')).toEqual({ color: 'script', hide: [0, 3], labels: 'off' });
    expect(formatUrlState({ color: 'pos', hide: [1, 4], labels: 'off' })).toBe('?color=pos&hide=1,4&labels=off');
    const s = { view: 'xy' as const, id: 7, color: 'wordStart' as const, hide: [2], cam: [0.5, 0.25, 1] };
    expect(parseUrlState(formatUrlState(s))).toEqual(s);
  });
  it('drops a hide list without a colour, and values it does not know', () => {
    expect(formatUrlState({ hide: [1] })).toBe('');
    expect(parseUrlState('?color=id&hide=a,b&labels=maybe')).toEqual({});
  });
});
