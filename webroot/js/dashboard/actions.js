// What a person can do to a job from anywhere on the page: replay it, cancel it.

import { api } from './api.js';
import { store } from './store.js';
import { toast } from './toast.js';
import { shortId } from './format.js';

async function busy(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    if (button) button.disabled = false;
  }
}

/** POST /api/jobs/{id}/replay: a new job with the same spec and seed, shown at once. */
export function replayJob(id, button) {
  return busy(button, async () => {
    try {
      const created = await api.replay(id);
      toast(`Replaying job ${shortId(id)} as job ${shortId(created.id)} (seed ${created.seed ?? 'same'}).`, 'ok');
      const view = await api.job(created.id).catch(() => null);
      if (view) store.putJob(view);
      store.select(created.id);
      return created;
    } catch (err) {
      toast(`Replay of job ${shortId(id)} refused: ${err.message}`, 'error');
      return null;
    }
  });
}

/** DELETE /api/jobs/{id}: cancels a queued or running job. */
export function cancelJob(id, button) {
  return busy(button, async () => {
    try {
      const view = await api.cancel(id);
      if (view && view.id) store.putJob(view);
      toast(`Job ${shortId(id)} cancelled.`, 'info');
    } catch (err) {
      toast(`Could not cancel job ${shortId(id)}: ${err.message}`, 'error');
    }
  });
}
