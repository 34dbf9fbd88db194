// What the compute Web Worker's modules share: messages to the page, times, error text.

export const now = () => performance.timeOrigin + performance.now();
export const round3 = (x) => Math.round(x * 1000) / 1000;

export function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

export function log(level, text) {
  post({ op: 'log', level, text: String(text) });
}

export function errText(e) {
  return (e && e.message) ? e.message : String(e);
}
