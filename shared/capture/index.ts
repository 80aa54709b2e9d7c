/**
 * API-call capture for your own Lambda APIs (API Gateway REST v1, HTTP API v2, ALB) and
 * user / company profiles, written as records on the events stream.
 */
export type { PipelineMetrics } from '../metrics';
export { CAPTURE_DROP_REASONS, CAPTURE_RECORDS_DROPPED, type CaptureDropReason } from './capture-metrics';
export { apiCallCapture, withApiCallCapture } from './middleware';
export type {
  ApiCallCaptureOptions,
  CaptureLogger,
  CaptureTransportOptions,
  SampleRateMap,
  SamplingOptions,
} from './options';
export { DEFAULT_CLIENT_ID, DEFAULT_MASKED_HEADERS } from './options';
export { captureOutgoing, type OutgoingCall, type OutgoingCapture, type OutgoingCaptureOptions } from './outgoing';
export {
  CaptureValidationError,
  type ProfileSendResult,
  updateCompaniesBatch,
  updateCompany,
  updateUser,
  updateUsersBatch,
} from './profiles';
export type {
  ApiCallDirection,
  ApiCallEvent,
  ApiCallRecord,
  ApiCallRequest,
  ApiCallResponse,
  Campaign,
  CompanyProfile,
  CompanyProfileRecord,
  HeaderMap,
  TransferEncoding,
  UserProfile,
  UserProfileRecord,
} from './records';
