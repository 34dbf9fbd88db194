// A picture of C: the server's block-averaged preview drawn on a <canvas>, one pixel per
// block, scaled up without smoothing, on a diverging colour scale centred on zero.

import { $, setText } from './dom.js';
import { api } from './api.js';
import { scientific } from './format.js';

const PREVIEW_SIZE = 128;

// Diverging scale (blue, neutral, orange-red): readable on light and dark cards.
const STOPS = [
  [-1.0, [37, 76, 163]],
  [-0.5, [96, 146, 214]],
  [0.0, [226, 228, 234]],
  [0.5, [236, 142, 86]],
  [1.0, [179, 40, 44]],
];

export function colour(x) {
  const v = Math.max(-1, Math.min(1, Number.isFinite(x) ? x : 0));
  for (let i = 1; i < STOPS.length; i++) {
    const [p1, c1] = STOPS[i];
    if (v <= p1) {
      const [p0, c0] = STOPS[i - 1];
      const f = (v - p0) / (p1 - p0);
      return [0, 1, 2].map((k) => Math.round(c0[k] + f * (c1[k] - c0[k])));
    }
  }
  return STOPS[STOPS.length - 1][1];
}

let shownFor = null;
let request = 0;

/** Shows the heatmap of a completed job (fetched once per job), or hides it. */
export function showHeatmap(job) {
  const box = $('heatmap-box');
  const canvas = $('heatmap');
  if (!job || job.status !== 'completed') {
    box.hidden = true;
    shownFor = null;
    canvas.dataset.drawn = 'false';
    return;
  }
  box.hidden = false;
  if (shownFor === job.id) return;
  shownFor = job.id;
  canvas.dataset.drawn = 'false';
  canvas.dataset.jobId = job.id;
  setText($('heatmap-caption'), 'Loading the picture of C…');
  const mine = ++request;
  api.preview(job.id, PREVIEW_SIZE)
    .then((p) => { if (mine === request) draw(p, job); })
    .catch((err) => {
      if (mine === request) {
        shownFor = null;
        setText($('heatmap-caption'), `The picture of C could not be loaded: ${err.message}`);
      }
    });
}

function draw(p, job) {
  const canvas = $('heatmap');
  canvas.width = p.cols;
  canvas.height = p.rows;
  // The preview is at most N×N blocks whatever the shape; show C's own proportions.
  const ratio = Math.max(0.25, Math.min(4, p.sourceCols / p.sourceRows));
  canvas.style.setProperty('--ratio', String(ratio));
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(p.cols, p.rows);
  let scale = 0;
  for (const v of p.data) scale = Math.max(scale, Math.abs(v));
  if (!(scale > 0)) scale = 1;
  for (let i = 0; i < p.data.length; i++) {
    const [r, g, b] = colour(p.data[i] / scale);
    image.data[i * 4] = r;
    image.data[i * 4 + 1] = g;
    image.data[i * 4 + 2] = b;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  const averaged = p.rows < p.sourceRows || p.cols < p.sourceCols;
  canvas.setAttribute('aria-label', `Heatmap of C, ${p.sourceRows} by ${p.sourceCols}` +
    (averaged ? `, shown as ${p.rows} by ${p.cols} block averages` : ''));
  setText($('legend-min'), scientific(-scale));
  setText($('legend-mid'), '0');
  setText($('legend-max'), scientific(scale));
  setText($('heatmap-caption'), (averaged
    ? `C is ${p.sourceRows}×${p.sourceCols}, drawn as ${p.rows}×${p.cols} block means.`
    : `C is ${p.sourceRows}×${p.sourceCols}, one cell per value.`) +
    ` Values of C run from ${scientific(p.min)} to ${scientific(p.max)}.`);
  canvas.dataset.drawn = 'true';
}

/** Paints the legend's gradient once (a canvas, so no inline styles are needed). */
export function initLegend() {
  const bar = $('legend-bar');
  bar.width = 256;
  bar.height = 1;
  const ctx = bar.getContext('2d');
  const image = ctx.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colour((i / 255) * 2 - 1);
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}
