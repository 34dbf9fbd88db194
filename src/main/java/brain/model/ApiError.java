package brain.model;

/**
 * A refusal a person can act on: an HTTP-like status (4xx for the caller's mistakes, 503 when
 * the grid cannot take work now) and a sentence saying what is wrong. Travels on the event bus
 * as a reply failure with the status as failure code.
 */
public final class ApiError extends RuntimeException {
  private final int status;

  public ApiError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, message);
  }

  public static ApiError conflict(String message) {
    return new ApiError(409, message);
  }

  /** Asked of the scheduler while none is elected (its node died, or it lost its lease): try again shortly. */
  public static ApiError noScheduler() {
    return new ApiError(503, "no scheduler right now: one is being elected; try again in a few seconds");
  }

  public int status() {
    return status;
  }
}
