// The report as Markdown (GitHub-flavoured tables), for a ticket, a wiki page or a terminal.
import { flaggedPenalties } from '../results/results.ts';
import type { BenchmarkDocument } from '../results/results.ts';
import type { RunComparison } from './compare.ts';
import { noiseLine, reportNotes, runLine, flaggedLines } from './text.ts';
import { comparisonTables, reportTables } from './tables.ts';
import type { Cell, Table } from './tables.ts';

function escapeCell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function cell(c: Cell): string {
  const text = escapeCell(c.text);
  return c.flagged ? `⚠ **${text}**` : text;
}

function markdownTable(t: Table): string {
  const lines = [
    `**${escapeCell(t.caption)}**`,
    '',
    `| ${t.headers.map(escapeCell).join(' | ')} |`,
    `|${t.numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function renderMarkdown(doc: BenchmarkDocument, comparison?: RunComparison): string {
  const tables = reportTables(doc);
  const flagged = flaggedPenalties(doc);
  const out: string[] = [`# Benchmark: ${doc.host}, host vs LXC`, '', runLine(doc), ''];
  out.push(flagged.length > 0
    ? `**⚠ ${flagged.length} penalt${flagged.length === 1 ? 'y' : 'ies'} beyond ${doc.penaltyThreshold} %:**`
    : `No penalty beyond ${doc.penaltyThreshold} %: no container's interval lies wholly beyond it.`);
  out.push(...flaggedLines(doc).map((l) => `- ${l}`), '');
  const noise = noiseLine(doc);
  if (noise !== undefined) out.push(noise, '');

  out.push('## Network (iperf3)', '');
  if (doc.iperf3.status === 'skipped') out.push(`Skipped: ${doc.iperf3.reason}.`, '');
  else {
    out.push(`\`iperf3 -c ${doc.iperf3.peer} -O ${doc.iperf3.omit} -t ${doc.iperf3.time}\`, and with \`-R\`; bits/s counted by the receiver.`, '');
    for (const t of tables.iperf3) out.push(markdownTable(t), '');
  }

  out.push('## Storage (fio)', '');
  out.push(`On ${doc.fio.directory}, the same file from the host and from the containers; ${doc.fio.direct ? 'O_DIRECT' : doc.fio.directNote ?? 'buffered I/O'}.`, '');
  for (const test of tables.fio) {
    out.push(`### ${test.title}`, '');
    if (test.tables.length === 0) out.push('No container results to compare.', '');
    for (const t of test.tables) out.push(markdownTable(t), '');
  }

  out.push('## iozone', '', `Skipped: ${doc.iozone.reason}.`, '');

  if (comparison) {
    out.push(`## Change since run ${comparison.baseRunId}`, '');
    out.push(`Run ${comparison.baseRunId} started ${comparison.baseStartedAt}, profile ${comparison.baseProfile}` +
      `${comparison.sameProfile ? '' : ` (this run: ${doc.profile}; only points measured in both are compared)`}.`, '');
    for (const t of comparisonTables(comparison, doc.runId)) out.push(markdownTable(t), '');
  }

  out.push('---', '', ...reportNotes().map((n) => `- ${n}`), '');
  return out.join('\n');
}
