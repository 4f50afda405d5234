// One entry for every report format.
import type { BenchmarkDocument } from '../results/results.ts';
import type { RunComparison } from './compare.ts';
import { renderCompareCsv, renderCsv } from './csv.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';

export const REPORT_FORMATS = ['md', 'json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderReport(doc: BenchmarkDocument, format: ReportFormat, comparison?: RunComparison): string {
  switch (format) {
    case 'md':
      return renderMarkdown(doc, comparison);
    case 'json':
      return renderJson(doc, comparison);
    case 'csv':
      return comparison ? renderCompareCsv(doc, comparison) : renderCsv(doc);
    case 'html':
      return renderHtml(doc, comparison);
  }
}
