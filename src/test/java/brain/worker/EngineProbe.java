package brain.worker;

import brain.testing.Reference;
import java.util.Random;

/**
 * Run in a child JVM by {@link EnginesTest}: picks the worker's engine as {@code worker --engine
 * auto} does, prints its description on the first line, checks one odd-shaped product against the
 * float64 reference and prints "product ok".
 */
public final class EngineProbe {
  private EngineProbe() {}

  public static void main(String[] args) {
    MatrixEngine engine = Engines.select(Engines.Choice.parse(args.length > 0 ? args[0] : "auto"), 2);
    System.out.println(engine.description());
    Random random = new Random(3);
    int m = 17;
    int k = 33;
    int n = 65;
    float[] a = EnginesTest.random(random, m * k);
    float[] b = EnginesTest.random(random, k * n);
    Reference.assertProduct(a, b, engine.multiply(a, m, k, b, n), m, k, n);
    System.out.println("product ok");
  }
}
