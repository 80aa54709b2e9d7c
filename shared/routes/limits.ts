/**
 * The AWS limits a route must fit, with where each comes from. routes.yml is checked against
 * them by `osls package` and `npm start`, so a route that cannot deploy fails before it is tried.
 */
export const ROUTE_LIMITS = {
  /** EventBridge rule names: 1–64 characters of `[.\-_A-Za-z0-9]` (PutRule, Name). */
  nameMaxLength: 64,
  namePattern: /^[.\-_A-Za-z0-9]+$/,
  /** API destinations: InvocationRateLimitPerSecond ≥ 1; 300 is the default quota per destination (CreateApiDestination). */
  rateLimitPerSecondMax: 300,
  /** Rule target RetryPolicy: MaximumRetryAttempts 0–185, MaximumEventAgeInSeconds 60–86400 (default 185 and 86400). */
  maximumRetryAttemptsMax: 185,
  maximumEventAgeSecondsMin: 60,
  maximumEventAgeSecondsMax: 86_400,
  /** An API destination's request times out after 5 s; the timeout cannot be changed ("API destinations", EventBridge user guide). */
  apiDestinationTimeoutSeconds: 5,
  /** Firehose HTTP endpoint destination: BufferingHints SizeInMBs 1–64, IntervalInSeconds 0–900; RetryOptions DurationInSeconds 0–7200. */
  firehoseBufferSizeMiBMin: 1,
  firehoseBufferSizeMiBMax: 64,
  firehoseBufferIntervalSecondsMax: 900,
  firehoseRetryDurationSecondsMax: 7_200,
  /** HttpEndpointConfiguration Url: https only, at most 1,000 characters. */
  urlMaxLength: 1_000,
  /** InputTransformer: at most 100 variables in InputPathsMap; InputTemplate up to 8,192 characters. */
  inputPathsMapMax: 100,
  inputTemplateMaxLength: 8_192,
} as const;
