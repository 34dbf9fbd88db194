package brain.worker;

import io.vertx.core.json.JsonArray;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The nodes a worker may connect to: the one it was started with, then the cluster's public node
 * URLs from its registration reply (or a "move" message of a node that stops). When its socket
 * closes it tries the next one in turn, so a worker of a dead node ends up on a live one.
 * Not thread-safe: the worker's context only.
 */
final class NodeTargets {
  record Target(String host, int port, boolean tls) {
    static Target parse(String url) {
      try {
        URI uri = new URI(url.trim());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
          return null;
        }
        boolean tls = scheme.equals("https");
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        return new Target(host, uri.getPort() >= 0 ? uri.getPort() : tls ? 443 : 80, tls);
      } catch (java.net.URISyntaxException e) {
        return null;
      }
    }

    @Override
    public String toString() {
      return (tls ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  private final List<Target> known = new ArrayList<>();
  private volatile Target current;

  NodeTargets(String host, int port, boolean tls) {
    current = new Target(host, port, tls);
    known.add(current);
  }

  Target current() {
    return current;
  }

  /** The cluster's node URLs, as a registration reply lists them (unparseable ones skipped). */
  void learn(JsonArray urls) {
    List<Target> parsed = parse(urls);
    if (parsed.isEmpty()) {
      return;
    }
    known.clear();
    known.addAll(parsed);
    if (!known.contains(current)) {
      known.add(0, current);
    }
  }

  /** The next node after the current one, in turn (the current one again when it is the only one). */
  Target next() {
    int at = known.indexOf(current);
    current = known.get((at + 1) % known.size());
    return current;
  }

  /** A stopping node sent its peers' URLs: go to the first of them (stay when it sent none). */
  Target moveTo(JsonArray urls) {
    List<Target> parsed = parse(urls);
    parsed.remove(current);
    if (!parsed.isEmpty()) {
      Target leaving = current;
      known.clear();
      known.addAll(parsed);
      known.add(leaving); // last in turn: it may come back
      current = parsed.get(0);
    }
    return current;
  }

  List<Target> known() {
    return List.copyOf(known);
  }

  private static List<Target> parse(JsonArray urls) {
    List<Target> parsed = new ArrayList<>();
    if (urls != null) {
      for (Object url : urls) {
        Target target = url instanceof String text ? Target.parse(text) : null;
        if (target != null && !parsed.contains(target)) {
          parsed.add(target);
        }
      }
    }
    return parsed;
  }
}
