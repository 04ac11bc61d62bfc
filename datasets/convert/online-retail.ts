/**
 * UCI Online Retail (a UK online retailer, 2010-12 → 2011-12) → canonical events.
 *
 * Input: CSV with header `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country`
 * (any column order; quoted descriptions). Each invoice line becomes one event:
 * - a sale → `purchase`; a cancellation (InvoiceNo starting with C, negative quantity) → `refund` with the
 *   quantity made positive;
 * - subject = CustomerID, or `guest-<InvoiceNo>` when missing (a quarter of the rows); session = InvoiceNo;
 *   item = StockCode; price = UnitPrice; no category (the data has none);
 * - InvoiceDate is local UK time `YYYY-MM-DD HH:MM[:SS]` (or the `M/D/YYYY H:MM` of other copies), taken
 *   as UTC: close enough for daily demand, and the data carries no zone;
 * - skipped and counted: StockCodes that are not products (postage, fees, discounts, manual adjustments,
 *   gift vouchers …), prices of zero or less, and quantities that do not fit a sale or a cancellation.
 * Event ids are `or-<line>` (line of the input file, header = 1; `or-<k>.<line>` for the k-th of several).
 */
import { CsvRecordAssembler, CsvSyntaxError } from '../io/csv.ts';
import { MAX_QUANTITY, type CanonicalEvent } from '../canonical-event.ts';
import { utcMs } from './utc-date.ts';
import { FileRows, headerColumns, lineConverter, missingHeader, wrongFormat, type ConversionStats, type InputFile, type LineConverter } from './conversion.ts';

const REQUIRED = ['InvoiceNo', 'StockCode', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID'] as const;
type Column = (typeof REQUIRED)[number];

/**
 * Product StockCodes are five digits, sometimes followed by letters for a variant (85123A, 15056BL).
 * Everything else is bookkeeping: POST, DOT, M, C2, D, S, BANK CHARGES, AMAZONFEE, CRUK, PADS, B,
 * gift_0001_*, DCGS… (measured on this file: 2,995 such rows).
 */
const PRODUCT_CODE = /^\d{5}[A-Za-z]*$/;

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const US_LOCAL = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})$/;

/** Invoice date as epoch ms, read as UTC; NaN when it is not a date in either known form. */
export function parseInvoiceDate(text: string): number {
  let m = ISO_LOCAL.exec(text);
  if (m !== null) return utcMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6] === undefined ? 0 : Number(m[6]));
  m = US_LOCAL.exec(text);
  if (m !== null) return utcMs(Number(m[3]), Number(m[1]), Number(m[2]), Number(m[4]), Number(m[5]));
  return Number.NaN;
}

export const onlineRetailConverter = lineConverter(
  'online-retail',
  'UCI Online Retail CSV (InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country)',
  onlineRetailLines,
);

function onlineRetailLines(stats: ConversionStats, file: InputFile): LineConverter {
  const { path } = file;
  const records = new CsvRecordAssembler();
  let columns: Record<Column, number> | undefined;
  let width = 0;
  const rows = new FileRows('online-retail', stats, file);
  // The lines of an invoice share its date: parse each distinct date string once.
  let lastDateText = '';
  let lastDate = Number.NaN;

  function header(fields: string[] | CsvSyntaxError, lineNumber: number): void {
    if (fields instanceof CsvSyntaxError) throw wrongFormat('online-retail', path, lineNumber, `is not valid CSV: ${fields.message}`);
    columns = headerColumns(fields, REQUIRED, 'online-retail', path, lineNumber, 'commas');
    width = fields.length;
  }

  /** One CSV record (its first line `line`): the header, or an invoice line. */
  function record(fields: string[] | CsvSyntaxError, line: number, out: CanonicalEvent[]): void {
    if (columns === undefined) return header(fields, line);
    rows.next();
    if (fields instanceof CsvSyntaxError || fields.length !== width) return rows.skip(line, 'malformed_row');
    const invoice = fields[columns.InvoiceNo] as string;
    const stockCode = fields[columns.StockCode] as string;
    const quantityText = fields[columns.Quantity] as string;
    const priceText = fields[columns.UnitPrice] as string;
    const dateText = fields[columns.InvoiceDate] as string;
    if (dateText !== lastDateText) {
      lastDateText = dateText;
      lastDate = parseInvoiceDate(dateText);
    }
    const ts = lastDate;
    const quantity = Number(quantityText);
    const price = Number(priceText);
    if (invoice === '' || quantityText === '' || priceText === '' || !Number.isInteger(quantity) || Number.isNaN(price) || Number.isNaN(ts)) {
      return rows.skip(line, 'malformed_row');
    }
    if (!PRODUCT_CODE.test(stockCode)) return rows.skip(line, 'non_product_code');
    if (!(price > 0)) return rows.skip(line, 'price_not_positive');

    const cancelled = invoice.startsWith('C');
    if (cancelled ? quantity >= 0 : quantity <= 0) return rows.skip(line, cancelled ? 'cancellation_without_negative_quantity' : 'sale_without_positive_quantity');
    const units = Math.abs(quantity);
    if (units > MAX_QUANTITY) return rows.skip(line, 'quantity_too_large');

    // Some copies store CustomerID as a float (17850.0): the id is the integer.
    const customer = (fields[columns.CustomerID] as string).replace(/\.0+$/, '');
    out.push({
      id: `or-${file.tag}${line}`,
      ts,
      subject: customer === '' ? `guest-${invoice}` : customer,
      session: invoice,
      type: cancelled ? 'refund' : 'purchase',
      item: stockCode,
      price,
      quantity: units,
    });
  }

  return {
    line(raw, lineNumber, out) {
      records.push(raw, lineNumber, (fields, line) => record(fields, line, out));
    },
    end(out) {
      // a quote never closed: its row is skipped, the rows it took in are read again
      records.finish((fields, line) => record(fields, line, out));
      if (columns === undefined) throw missingHeader('online-retail', file, REQUIRED);
    },
  };
}
