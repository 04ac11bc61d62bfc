/** The datasets room's door: the canonical event file, the synthetic generator, and the public-format converters. */
export {
  CANONICAL_COLUMNS,
  REQUIRED_COLUMNS,
  canonicalFormatOf,
  createCanonicalWriter,
  readCanonicalBatches,
  readCanonicalEvents,
  type CanonicalColumn,
  type CanonicalEvent,
  type CanonicalFormat,
  type CanonicalRecord,
  type CanonicalWriter,
  type RawCanonicalRow,
  type ReadCanonicalOptions,
  type RowError,
} from './canonical-file.ts';
export { generateBehavior, generationWindow, type GenerateOptions, type GenerationWindow } from './generate.ts';
export { generateCatalog, DEFAULT_CATEGORIES, DEFAULT_ITEMS, type CatalogItem, type CatalogOptions } from './catalog.ts';
export { writeCatalogFile } from './catalog-file.ts';
export { readCatalogFile, requireValidCatalog, CATALOG_COLUMNS, type CatalogFile, type CatalogProblem } from './catalog-load.ts';
export { withBadRows, BAD_ROW_DEFECTS, type BadRowDefect, type BadRowOptions, type GeneratedRow } from './bad-rows.ts';
export { CONVERTERS, CONVERTER_NAMES, isConverterName, type Conversion, type ConversionStats, type Converter, type ConverterName } from './convert/index.ts';
export { readLabelFile, trainingHeaderLine, trainingRowLine, type LabelFile, type LabelFileRow } from './labels-file.ts';
