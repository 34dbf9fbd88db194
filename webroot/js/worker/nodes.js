// The grid's nodes this tab may compute for. The register reply lists the
// cluster's public node URLs (`nodes`); when the socket closes the tab opens
// its next one at the next node in turn (the event bus's own backoff and
// jitter between attempts), without loading any page. A node that stops sends
// a `move` message naming the others: the tab goes to the first at once.
// A tab served by node A talking to node B's bridge is cross-origin: node B
// admits the origins of its cluster's nodes, and each node's page policy
// (connect-src) lists them.

/** The origin of a node URL (scheme://host:port), or null if it is not http(s). */
export function nodeOrigin(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch (e) {
    return null;
  }
}

export class NodeList {
  /** @param {string} home the origin that served this page */
  constructor(home) {
    this.home = home;
    this.known = [home];
    this.current = home;
  }

  /** The cluster's node URLs from a register reply (unusable entries skipped). */
  learn(urls) {
    const origins = parse(urls);
    if (origins.length === 0) return;
    this.known = origins.includes(this.current) ? origins : [this.current, ...origins];
  }

  /** The next node after the current one, in turn (the same one when it is alone). */
  next() {
    const at = this.known.indexOf(this.current);
    this.current = this.known[(at + 1) % this.known.length];
    return this.current;
  }

  /** A stopping node named the others: the first of them (stays when it named none). */
  moveTo(urls) {
    const others = parse(urls).filter((o) => o !== this.current);
    if (others.length > 0) {
      this.known = [...others, this.current];
      this.current = others[0];
    }
    return this.current;
  }

  /** The bridge URL of the current node: relative for the page's own. */
  busUrl() {
    return this.current === this.home ? '/eventbus' : `${this.current}/eventbus`;
  }
}

function parse(urls) {
  if (!Array.isArray(urls)) return [];
  const out = [];
  for (const url of urls) {
    const origin = typeof url === 'string' ? nodeOrigin(url) : null;
    if (origin && !out.includes(origin)) out.push(origin);
  }
  return out;
}
