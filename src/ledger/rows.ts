/**
 * Rows to domain records, shared by the SQLite and Postgres adapters and derived from the table
 * shapes (table-shapes.ts). The adapters differ only in how a column arrives: Postgres parses jsonb
 * and returns Dates and booleans; SQLite returns TEXT and integers. Each adapter passes its decoders.
 */
import { shapeColumns, type TableName, type TableRecords, tableShapes } from "./table-shapes.js";
import type { FlagEvaluationCount } from "./types.js";

export type SqlRow = Record<string, unknown>;

export interface ColumnDecoders {
  /** A JSON column: parsed (jsonb) or TEXT to parse. */
  json(value: unknown): unknown;
  /** A time column, as an ISO-8601 string. */
  time(value: unknown): string;
  /** A boolean column (Postgres boolean, SQLite 0/1). */
  bool(value: unknown): boolean;
}

export type RowReaders = { readonly [T in TableName]: (row: SqlRow) => TableRecords[T] } & {
  /** A day's total; `has_variant` tells a null variant (its own group) from a named one. */
  flagEvaluation(row: SqlRow): FlagEvaluationCount & { day: string };
};

export function rowReaders(decode: ColumnDecoders): RowReaders {
  const codecs = { text: String, int: Number, json: decode.json, bool: decode.bool, time: decode.time };
  const reader = (name: TableName) => {
    const columns = shapeColumns(name).map(([field, [column, codec]]) => {
      const nullable = codec.endsWith("?");
      return { field, column, nullable, read: codecs[codec.replace("?", "") as keyof typeof codecs] };
    });
    return (row: SqlRow) => {
      const record: SqlRow = {};
      for (const { field, column, nullable, read } of columns) {
        const value = row[column];
        record[field] = nullable && (value === null || value === undefined) ? null : read(value);
      }
      return record;
    };
  };
  const readers = Object.fromEntries(
    (Object.keys(tableShapes) as TableName[]).map((name) => [name, reader(name)]),
  );
  return {
    // Each reader builds its table's record from the shape's columns, which the shape's type checks.
    ...(readers as unknown as Omit<RowReaders, "flagEvaluation">),
    flagEvaluation: (row) => ({
      day: String(row.day),
      flagKey: String(row.flag_key),
      variant: decode.bool(row.has_variant) ? String(row.variant) : null,
      enabled: decode.bool(row.enabled),
      count: Number(row.count),
    }),
  };
}
