/** The converters from public dataset formats to canonical events, by the name `iob convert --from` takes. */
import { digineticaConverter } from './diginetica.ts';
import { onlineRetailConverter } from './online-retail.ts';
import { ottoConverter } from './otto.ts';
import { retailrocketConverter } from './retailrocket.ts';
import { sessionRecConverter } from './session-rec.ts';
import { taobaoConverter } from './taobao.ts';
import { yoochooseConverter } from './yoochoose.ts';
import type { Converter } from './conversion.ts';

export type { Conversion, ConversionStats, Converter, InputFile } from './conversion.ts';

export const CONVERTERS = {
  taobao: taobaoConverter,
  otto: ottoConverter,
  'online-retail': onlineRetailConverter,
  yoochoose: yoochooseConverter,
  retailrocket: retailrocketConverter,
  diginetica: digineticaConverter,
  'session-rec': sessionRecConverter,
} as const satisfies Record<string, Converter>;

export type ConverterName = keyof typeof CONVERTERS;

export const CONVERTER_NAMES = Object.keys(CONVERTERS) as ConverterName[];

export function isConverterName(name: string): name is ConverterName {
  return Object.hasOwn(CONVERTERS, name);
}
