// Network efficiency: for the selected (or latest) job, compute time against network time
// (the workers' time on the job not spent computing: transfers prefetching could not hide),
// the efficiency ratio and the megabytes moved; over recent jobs, a chart of the same
// (chart.js from its WebJar, loaded as a classic script: global Chart).

import { $, setText, perFrame, reducedMotion, cssColor } from './dom.js';
import { store } from './store.js';
import { duration, megabytes, percent, shortId, isNum } from './format.js';
import { isDark } from './theme.js';

const RECENT = 16;
let timeChart = null;
let bytesChart = null;
let shownIds = '';

export function initNetworkChart() {
  const render = perFrame(draw);
  store.on('job', render);
  store.on('select', render);
  document.addEventListener('themechange', () => { restyle(); });
  draw();
}

function recentJobs() {
  return store.jobList()
    .filter((j) => j.status === 'completed' && j.metrics && j.metrics.totalTimeMs > 0)
    .slice(0, RECENT)
    .reverse();
}

function palette() {
  return {
    compute: cssColor('--compute', '#2f9e8f'),
    network: cssColor('--network', '#e0a030'),
    ratio: cssColor('--accent', '#5b4de0'),
    bytes: cssColor('--accent-soft', '#8d82ff'),
    text: cssColor('--muted', '#5f6b7c'),
    grid: cssColor('--border', '#dde3ec'),
    surface: cssColor('--surface', '#fff'),
    dark: isDark(),
  };
}

function draw() {
  const selected = store.selected ? store.jobs.get(store.selected) : null;
  const jobs = recentJobs();
  const focus = selected && selected.metrics && selected.metrics.totalTimeMs > 0 ? selected : jobs[jobs.length - 1] || null;
  drawFigures(focus);
  const empty = jobs.length === 0;
  $('network-empty').hidden = !empty;
  $('network-charts').hidden = empty;
  if (empty || typeof Chart !== 'function') return;
  const ids = jobs.map((j) => `${j.id}:${j.status}`).join(',') + '|' + (store.selected || '');
  if (ids === shownIds && timeChart) return;
  shownIds = ids;
  const labels = jobs.map((j) => shortId(j.id).slice(0, 6));
  const compute = jobs.map((j) => round(j.metrics.computeTimeMs));
  const network = jobs.map((j) => round(j.metrics.networkTimeMs));
  const ratio = jobs.map((j) => round(j.metrics.efficiencyRatio));
  const mb = jobs.map((j) => round((j.metrics.bytesTransferred || 0) / 1e6, 3));
  const highlight = jobs.map((j) => j.id === store.selected);
  if (!timeChart) create();
  timeChart.$jobs = jobs;
  bytesChart.$jobs = jobs;
  timeChart.data.labels = labels;
  timeChart.data.datasets[0].data = compute;
  timeChart.data.datasets[1].data = network;
  timeChart.data.datasets[2].data = ratio;
  bytesChart.data.labels = labels;
  bytesChart.data.datasets[0].data = mb;
  bytesChart.$highlight = highlight;
  restyle(false);
  timeChart.update();
  bytesChart.update();
  $('network-charts').dataset.jobs = String(jobs.length);
}

function drawFigures(job) {
  const m = job ? job.metrics : null;
  setText($('n-job'), job ? `job ${shortId(job.id)}` : '');
  setText($('n-compute'), m ? duration(m.computeTimeMs) : '–');
  setText($('n-network'), m ? duration(m.networkTimeMs) : '–');
  setText($('n-ratio'), m ? percent(m.efficiencyRatio) : '–');
  setText($('n-bytes'), m ? megabytes(m.bytesTransferred) : '–');
}

function round(x, digits = 1) {
  if (!isNum(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function tooltipTitle(chart) {
  return (items) => {
    const job = chart().$jobs?.[items[0]?.dataIndex];
    return job ? `job ${shortId(job.id)} · ${job.rowsA}×${job.colsA}·${job.colsB}` : '';
  };
}

function create() {
  const animation = reducedMotion() ? false : { duration: 500 };
  timeChart = new Chart($('network-time-chart'), {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'Compute (ms)', data: [], stack: 'time', yAxisID: 'y', borderRadius: 3, order: 2 },
        { label: 'Network (ms)', data: [], stack: 'time', yAxisID: 'y', borderRadius: 3, order: 2 },
        { label: 'Efficiency (%)', data: [], type: 'line', yAxisID: 'ratio', tension: 0.3, pointRadius: 3, borderWidth: 2, order: 1 },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12, sort: (a, b) => a.datasetIndex - b.datasetIndex } },
        tooltip: { callbacks: { title: tooltipTitle(() => timeChart) } },
      },
      scales: {
        x: { stacked: true, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: 'ms, summed over workers' } },
        ratio: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: 'efficiency %' } },
      },
    },
  });
  bytesChart = new Chart($('network-bytes-chart'), {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'MB transferred', data: [], borderRadius: 3 }] },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation,
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: { callbacks: { title: tooltipTitle(() => bytesChart) } },
      },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, title: { display: true, text: 'MB' } },
      },
    },
  });
}

function restyle(update = true) {
  if (!timeChart) return;
  const p = palette();
  for (const chart of [timeChart, bytesChart]) {
    chart.options.color = p.text;
    for (const scale of Object.values(chart.options.scales)) {
      scale.ticks = { ...(scale.ticks || {}), color: p.text };
      scale.grid = { ...(scale.grid || {}), color: p.grid };
      scale.border = { color: p.grid };
      if (scale.title) scale.title.color = p.text;
    }
    chart.options.plugins.legend.labels.color = p.text;
  }
  const [c, n, r] = timeChart.data.datasets;
  c.backgroundColor = p.compute;
  n.backgroundColor = p.network;
  r.borderColor = p.ratio;
  r.backgroundColor = p.ratio;
  r.pointBackgroundColor = p.surface;
  const hl = bytesChart.$highlight || [];
  bytesChart.data.datasets[0].backgroundColor = bytesChart.data.labels.map((_, i) => (hl[i] ? p.ratio : p.bytes));
  if (update) {
    timeChart.update('none');
    bytesChart.update('none');
  }
}
