// Small statistics and output helpers shared by the benchmarks.
import { writeFileSync } from 'node:fs';

/** The q-quantile (0..1) of `values`, linear between the closest ranks. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Median, p90, min, max and n of a list of samples, plus the noise figure p90/median. */
export function summarize(values) {
  const median = quantile(values, 0.5);
  const p90 = quantile(values, 0.9);
  return {
    n: values.length,
    median: round(median),
    p90: round(p90),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    noise: round(p90 / median, 3),
  };
}

export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A plain text table: `rows` are arrays of cells, the first row is the header. */
export function table(rows) {
  const widths = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, String(cell).length)));
  }
  const line = (row) =>
    row
      .map((cell, i) => {
        const text = String(cell);
        // Numbers right-aligned, text left-aligned.
        return /^[-+]?[\d.,]+( ?[a-zA-Z%×]*)?$/.test(text) && i > 0
          ? text.padStart(widths[i])
          : text.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Formats a number of milliseconds. */
export const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : String(value));

/**
 * What a benchmark script does at the end: print, and when the runner asked
 * for it (`--json FILE`), write its results where the runner collects them.
 */
export function report(result) {
  const index = process.argv.indexOf('--json');
  if (index > 0 && process.argv[index + 1]) {
    writeFileSync(process.argv[index + 1], JSON.stringify(result, null, 2) + '\n');
  }
}

/** Shuffle-free interleaving: the order of variants rotates every round. */
export function rotation(variants, round) {
  const k = round % variants.length;
  return [...variants.slice(k), ...variants.slice(0, k)];
}

export const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));
