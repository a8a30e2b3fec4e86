import { describe, expect, it } from 'vitest';
import { asBoolean, asDate, asInteger, asNumber } from '../../src/providers/wire.js';

describe('wire readers', () => {
  it('reads DataWorks-style "True"/"False" strings as booleans and nothing else', () => {
    expect(asBoolean('True')).toBe(true);
    expect(asBoolean('False')).toBe(false);
    expect(asBoolean(true)).toBe(true);
    expect(asBoolean('yes')).toBeNull();
    expect(asBoolean(undefined)).toBeNull();
  });

  it('reads epoch milliseconds as numbers or numeric strings, and ISO strings with either offset form', () => {
    expect(asDate(1641370501000)?.toISOString()).toBe('2022-01-05T08:15:01.000Z');
    expect(asDate('1641370501000')?.toISOString()).toBe('2022-01-05T08:15:01.000Z');
    expect(asDate('2022-01-05T16:15:01+0800')?.toISOString()).toBe('2022-01-05T08:15:01.000Z');
    expect(asDate('2023-06-06T02:30:06Z')?.toISOString()).toBe('2023-06-06T02:30:06.000Z');
    expect(asDate('')).toBeNull();
    expect(asDate('not a date')).toBeNull();
    expect(asDate({})).toBeNull();
  });

  it('keeps numbers beyond 32 bits exact and rejects non-numbers', () => {
    expect(asInteger(8_589_934_592)).toBe(8_589_934_592);
    expect(asNumber('12.5')).toBe(12.5);
    expect(asNumber('12abc')).toBeNull();
    expect(asInteger(1.5)).toBeNull();
    expect(asNumber(Number.NaN)).toBeNull();
  });
});
