/**
 * Tolerant readers for provider JSON. Providers document one type and send another (epoch
 * milliseconds where the docs say string, "True"/"False" strings for booleans), so each reader
 * accepts every documented form and returns null, never a wrong value, for anything else.
 */

/** A record, or null when the value is not a plain JSON object. */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A finite number from a JSON number or a numeric string. */
export function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return null;
}

/** An integer (safe range) from a JSON number or a numeric string. */
export function asInteger(value: unknown): number | null {
  const n = asNumber(value);
  return n !== null && Number.isSafeInteger(n) ? n : null;
}

/** A boolean from true/false or the strings "True"/"False" (any case). */
export function asBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  if (value === 1 || value === 0) return value === 1;
  return null;
}

/**
 * A timestamp from epoch milliseconds (number or numeric string) or an ISO-8601 string, including
 * the `+0800` offset form Huawei documents. Null for empty or unparseable values.
 */
export function asDate(value: unknown): Date | null {
  const ms = asNumber(value);
  if (ms !== null) return validDate(new Date(ms));
  if (typeof value !== 'string' || value.trim() === '') return null;
  // "2022-01-05T08:15:01+0800" → "+08:00", which Date.parse accepts everywhere.
  const normalized = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return validDate(new Date(normalized));
}

function validDate(d: Date): Date | null {
  return Number.isNaN(d.getTime()) ? null : d;
}

/** An array, or an empty one when absent; null when present but not an array. */
export function asArray(value: unknown): unknown[] | null {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : null;
}

/** JSON.parse that returns undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
