package brain.model;

import static org.junit.jupiter.api.Assertions.*;

import io.vertx.core.json.JsonObject;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JobSpecTest {
  private static final JobSpec.Limits LIMITS = new JobSpec.Limits(16384, 16_777_216, 2 << 20, 1 << 26);

  private static JobSpec parse(String json) {
    return JobSpec.parse(new JsonObject(json), LIMITS, new Random(1));
  }

  private static String refusal(String json) {
    ApiError e = assertThrows(ApiError.class, () -> parse(json));
    assertEquals(400, e.status());
    return e.getMessage();
  }

  @Test
  void aPlainSubmissionGetsASeedAndAutoVerification() {
    JobSpec spec = parse("{\"rowsA\":500,\"colsA\":300,\"colsB\":400}");
    assertEquals(500, spec.rowsA());
    assertEquals("auto", spec.verify());
    assertNull(spec.chunkRows());
    assertTrue(spec.seed() >= 0 && spec.seed() <= JobSpec.MAX_SEED);
    assertEquals("full", spec.verificationMethod(LIMITS.fullMaxOps()));
    assertEquals("freivalds", parse("{\"rowsA\":4096,\"colsA\":4096,\"colsB\":4096}").verificationMethod(LIMITS.fullMaxOps()));
  }

  @Test
  void givenFieldsAreKept() {
    JobSpec spec = parse("{\"rowsA\":7,\"colsA\":3,\"colsB\":2,\"seed\":12,\"verify\":\"freivalds\",\"chunkRows\":2}");
    assertEquals(12, spec.seed());
    assertEquals("freivalds", spec.verify());
    assertEquals(2, spec.chunkRows());
    assertEquals("none", parse("{\"rowsA\":7,\"colsA\":3,\"colsB\":2,\"verify\":false}").verify());
    assertEquals(spec, JobSpec.fromStored(spec.toJson()));
  }

  @Test
  void badSubmissionsSayWhatIsWrong() {
    assertTrue(refusal("{\"colsA\":3,\"colsB\":2}").contains("rowsA is required"));
    assertTrue(refusal("{\"rowsA\":0,\"colsA\":3,\"colsB\":2}").contains("between 1 and 16384"));
    assertTrue(refusal("{\"rowsA\":-5,\"colsA\":3,\"colsB\":2}").contains("between 1 and 16384"));
    assertTrue(refusal("{\"rowsA\":2.5,\"colsA\":3,\"colsB\":2}").contains("whole number"));
    assertTrue(refusal("{\"rowsA\":\"10\",\"colsA\":3,\"colsB\":2}").contains("whole number"));
    assertTrue(refusal("{\"rowsA\":1e300,\"colsA\":3,\"colsB\":2}").contains("between"));
    assertTrue(refusal("{\"rowsA\":16384,\"colsA\":16384,\"colsB\":2}").contains("A would hold"));
    assertTrue(refusal("{\"rowsA\":2,\"colsA\":3,\"colsB\":2,\"rowA\":3}").contains("unknown field 'rowA'"));
    assertTrue(refusal("{\"rowsA\":2,\"colsA\":3,\"colsB\":2,\"seed\":-1}").contains("seed must be between"));
    assertTrue(refusal("{\"rowsA\":2,\"colsA\":3,\"colsB\":2,\"seed\":9007199254740992}").contains("seed"));
    assertTrue(refusal("{\"rowsA\":2,\"colsA\":3,\"colsB\":2,\"verify\":\"maybe\"}").contains("verify must be one of"));
    assertTrue(refusal("{\"rowsA\":2,\"colsA\":3,\"colsB\":2,\"chunkRows\":3}").contains("only 2 rows"));
    assertTrue(refusal("{\"rowsA\":8000,\"colsA\":2000,\"colsB\":2000,\"chunkRows\":4000}").contains("message budget"));
    assertTrue(refusal("{\"rowsA\":4096,\"colsA\":4096,\"colsB\":4096,\"verify\":\"full\"}").contains("full verification"));
  }
}
