import { describe, expect, it } from 'vitest';
import { formatCount, formatPercent, hasHiddenCharacters, visibleText } from '../../../src/viewer/display.ts';

describe('visibleText', () => {
  it('shows C0 controls as Control Pictures and DEL as ␡', () => {
    expect(visibleText('\n')).toBe('␊');
    expect(visibleText('a\tb\r\n')).toBe('a␉b␍␊');
    expect(visibleText('\u0000\u001b[31m')).toBe('␀␛[31m');
    expect(visibleText('\u007f')).toBe('␡');
  });
  it('escapes bidi overrides, zero-width and odd spaces, C1 controls and lone surrogates', () => {
    expect(visibleText('\u202Eevil\u202C')).toBe('\\u202Eevil\\u202C');
    expect(visibleText('a\u200Bb')).toBe('a\\u200Bb');
    expect(visibleText('\u2066x\u2069')).toBe('\\u2066x\\u2069');
    expect(visibleText('\u00a0')).toBe('\\u00A0');
    expect(visibleText('\u0085')).toBe('\\u0085');
    expect(visibleText('\ufeff')).toBe('\\uFEFF');
    expect(visibleText('\ud800')).toBe('\\uD800');
    expect(visibleText('\u{E0041}')).toBe('\\u{E0041}');
  });
  it('leaves ordinary text, markup, emoji and the SentencePiece space mark alone', () => {
    for (const s of [' Birmingham', '▁Birmingham', '<img src=x onerror=alert(1)>', '<script>alert(1)</script>', 'Zürich', '日本', '🙂', '\uFFFD']) {
      expect(visibleText(s)).toBe(s);
      expect(hasHiddenCharacters(s)).toBe(false);
    }
  });
  it('marks the empty token', () => {
    expect(visibleText('')).toBe('∅');
    expect(hasHiddenCharacters('')).toBe(false);
    expect(hasHiddenCharacters('\n')).toBe(true);
  });
});

describe('number formatting', () => {
  it('groups thousands independently of the locale', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(32000)).toBe('32,000');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
  it('formats explained variance', () => {
    expect(formatPercent(0.1123)).toBe('11.2%');
    expect(formatPercent(0.0041)).toBe('0.41%');
  });
});
