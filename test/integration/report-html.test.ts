// The HTML report in a real browser: headless Chromium (Debian package `chromium`) takes a
// screenshot of the page, and the PNG is decoded here to check that the charts were drawn in
// their colours, where the charts are.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import test from 'ava';
import { CONTAINER_COLORS, HOST_COLOR } from '../../benchmark/report/html.ts';
import { renderReport } from '../../benchmark/report/render.ts';
import { benchPlan, quickDocument } from '../fixtures/bench/fake-node.ts';

const run = promisify(execFile);

interface Image {
  width: number;
  height: number;
  /** RGB of (x, y). */
  rgb(x: number, y: number): [number, number, number];
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** A minimal PNG decoder: 8-bit RGB or RGBA, not interlaced (what Chromium writes). */
function decodePng(png: Buffer): Image {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colorType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`);
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? pixels[y * stride + i - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter}`);
      pixels[y * stride + i] = (line[i]! + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    rgb: (x, y) => [pixels[y * stride + x * channels]!, pixels[y * stride + x * channels + 1]!, pixels[y * stride + x * channels + 2]!],
  };
}

function isColour(image: Image, x: number, y: number, hex: string): boolean {
  const want = [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
  return image.rgb(x, y).every((v, i) => Math.abs(v - want[i]!) <= 2);
}

/** Where the colour is: its first row, and the tallest vertical run in any column (a bar, not a legend square). */
function colourExtent(image: Image, hex: string): { firstRow: number; tallestRun: number } {
  let firstRow = -1;
  let tallestRun = 0;
  for (let x = 0; x < image.width; x++) {
    let run = 0;
    for (let y = 0; y < image.height; y++) {
      if (isColour(image, x, y, hex)) {
        if (firstRow < 0 || y < firstRow) firstRow = y;
        tallestRun = Math.max(tallestRun, ++run);
      } else run = 0;
    }
  }
  return { firstRow, tallestRun };
}

test('html report: Chromium renders the charts (host and LXC bars) below the header', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'report-html-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { doc, stateDir } = await quickDocument({ plan: benchPlan({ penaltyThreshold: 5 }) });
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const page = path.join(dir, 'report.html');
  const shot = path.join(dir, 'report.png');
  writeFileSync(page, renderReport(doc, 'html'));
  try {
    await run('chromium', [
      '--headless', '--no-sandbox', '--disable-gpu', '--in-process-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${path.join(dir, 'profile')}`, `--screenshot=${shot}`, '--window-size=1280,2000',
      pathToFileURL(page).href,
    ], { timeout: 60_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    t.fail(e.code === 'ENOENT' ? 'chromium is not installed: apt-get install -y chromium' : `chromium failed: ${e.stderr ?? e.message}`);
    return;
  }
  t.true(statSync(shot).size > 20_000, 'a screenshot of a page with charts is not tiny');
  const image = decodePng(readFileSync(shot));
  t.deepEqual([image.width, image.height], [1280, 2000]);
  const host = colourExtent(image, HOST_COLOR);
  const lxc = colourExtent(image, CONTAINER_COLORS[0]!);
  // Legend squares are 12 px; the tallest bar of a chart fills most of its 200 px plot.
  t.true(host.tallestRun > 60, `tallest host-coloured run: ${host.tallestRun} px`);
  t.true(lxc.tallestRun > 60, `tallest LXC-coloured run: ${lxc.tallestRun} px`);
  // The header and the verdict come first: no chart colour in the top 250 px.
  t.true(host.firstRow > 250 && lxc.firstRow > 250, `first chart rows: ${host.firstRow}, ${lxc.firstRow}`);
});
