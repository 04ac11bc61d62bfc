/**
 * Pieces of JSON text for the hand-written answer serializers of the hot routes (POST /v1/intent, POST
 * /v1/offers). Node 20's JSON.stringify costs ~6 µs for a ten-offer answer, a tenth of the route; these
 * write the same bytes (tests hold them equal to JSON.stringify) for the shapes the services build.
 */

/** Strings JSON writes as they are: no quote, backslash, control character or surrogate (lone ones are escaped). */
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** JSON.stringify(s), without the serializer for the common string that needs no escape. */
export const jsonString = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
