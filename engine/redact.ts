/**
 * Privacy rules applied at the ingest boundary to everything but identifiers (those are pseudonymized):
 * personal-looking property keys are dropped, values that look like e-mail addresses or phone numbers are
 * redacted, IP and user agent are dropped, geolocation is coarsened, referrers keep only their origin.
 */

export const REDACTED = '[redacted]';

const EMAIL = /[^\s@<>()]+@[^\s@<>()]+\.[A-Za-z]{2,}/;
const DATE_LIKE = /^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;
/** Runs of digits with phone punctuation, anywhere in a string (a note can hide a number). */
const PHONE_CANDIDATE = /\+?\(?\d[\d\s().\-/]{5,22}\d/g;

export function looksLikeEmail(value: string): boolean {
  return value.length >= 5 && EMAIL.test(value);
}

/**
 * Phone-like: 7–15 digits written with phone punctuation or a leading '+', or 10–15 bare digits.
 * Short bare numbers (SKUs, quantities, order numbers) pass.
 */
export function looksLikePhone(value: string): boolean {
  if (value.length < 7) return false;
  for (const match of value.matchAll(PHONE_CANDIDATE)) {
    const run = match[0].trim();
    if (DATE_LIKE.test(run)) continue;
    let digits = 0;
    for (let i = 0; i < run.length; i++) {
      const c = run.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
    }
    if (digits < 7 || digits > 15) continue;
    if (digits === run.length ? digits >= 10 : true) return true;
  }
  return false;
}

export function looksPersonal(value: string): boolean {
  return looksLikeEmail(value) || looksLikePhone(value);
}

const PERSONAL_KEYS_EXACT = new Set([
  'name', 'firstname', 'lastname', 'fullname', 'surname', 'username', 'customername', 'givenname', 'familyname',
  'address', 'street', 'city', 'zip', 'zipcode', 'postcode', 'postalcode', 'dob', 'birthday', 'birthdate',
  'dateofbirth', 'ip', 'ipaddress', 'ipv4', 'ipv6', 'lat', 'lon', 'lng', 'latitude', 'longitude', 'useragent',
  'ua', 'cookie', 'deviceid', 'idfa', 'gaid', 'adid', 'tel', 'mobile', 'cell', 'gender', 'age',
]);
const PERSONAL_KEY_PARTS = ['email', 'mail', 'phone', 'password', 'passwd', 'ssn', 'iban', 'passport', 'creditcard', 'cardnumber', 'taxid', 'nationalid'];

/** Whether a property key names personal data (case and punctuation are ignored). */
export function isPersonalKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (PERSONAL_KEYS_EXACT.has(k)) return true;
  for (const part of PERSONAL_KEY_PARTS) if (k.includes(part)) return true;
  return false;
}

const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/** Standard geohash; 5 characters ≈ 4.9 km × 4.9 km, coarse enough not to single out a home. */
export function geohash(lat: number, lon: number, precision = 5): string {
  let latMin = -90, latMax = 90, lonMin = -180, lonMax = 180;
  let out = '';
  let bit = 0, ch = 0, even = true;
  while (out.length < precision) {
    if (even) {
      const mid = (lonMin + lonMax) / 2;
      if (lon >= mid) { ch = (ch << 1) | 1; lonMin = mid; } else { ch <<= 1; lonMax = mid; }
    } else {
      const mid = (latMin + latMax) / 2;
      if (lat >= mid) { ch = (ch << 1) | 1; latMin = mid; } else { ch <<= 1; latMax = mid; }
    }
    even = !even;
    if (++bit === 5) { out += BASE32[ch]; bit = 0; ch = 0; }
  }
  return out;
}

/** The origin of a referrer URL (paths and queries can carry identifiers); undefined when unparsable. */
export function referrerOrigin(referrer: string): string | undefined {
  try {
    const u = new URL(referrer);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}
