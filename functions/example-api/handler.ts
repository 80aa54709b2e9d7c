import middy from '@middy/core';
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { apiCallCapture } from '../../shared/capture';

/**
 * A sample API of the kind a user deploys (GET /widgets, POST /widgets), instrumented with the
 * API-call capture middleware: every invocation (API Gateway REST v1, HTTP API v2 or ALB)
 * becomes one `api-call` record on the events stream (`CAPTURE_STREAM_NAME`), attributed to the
 * caller's company. The capture never changes the response and never throws into the handler.
 *
 * Try it offline: `npx osls invoke local -f exampleApi -p events/example-api-v2.json`.
 */
type ApiEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2 | ALBEvent;

interface Widget {
  id: string;
  name: string;
  color: string;
}

const widgets: Widget[] = [
  { id: 'w-1', name: 'sprocket', color: 'blue' },
  { id: 'w-2', name: 'gear', color: 'green' },
  { id: 'w-3', name: 'cog', color: 'red' },
];

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const methodOf = (event: ApiEvent): string =>
  'httpMethod' in event ? event.httpMethod : (event as APIGatewayProxyEventV2).requestContext.http.method;
const pathOf = (event: ApiEvent): string => ('rawPath' in event ? event.rawPath : (event as APIGatewayProxyEvent).path);
const headerOf = (event: ApiEvent, name: string): string | undefined => {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
};
const bodyOf = (event: ApiEvent): string =>
  event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');

/** The caller's company: the JWT authorizer's `custom:clientId` claim (HTTP API), else `x-company-id`. */
export const companyOf = (event: ApiEvent): string | undefined => {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } | null })
    .authorizer?.jwt?.claims;
  const claim = claims?.['custom:clientId'];
  return typeof claim === 'string' && claim !== '' ? claim : headerOf(event, 'x-company-id');
};

/** The caller: the JWT's `sub` (HTTP API), else `x-user-id`. */
export const userOf = (event: ApiEvent): string | undefined => {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } | null })
    .authorizer?.jwt?.claims;
  const sub = claims?.sub;
  return typeof sub === 'string' && sub !== '' ? sub : headerOf(event, 'x-user-id');
};

export const widgetsApi = async (event: ApiEvent): Promise<APIGatewayProxyResult> => {
  // A stand-in for a bug in the user's code: the capture still records the call (as a 500).
  if (headerOf(event, 'x-simulate-failure') === 'true') throw new Error('Widget service failed (simulated)');
  const method = methodOf(event);
  if (pathOf(event).replace(/\/+$/, '') !== '/widgets') return json(404, { message: 'Not Found' });
  if (method === 'GET') {
    const limit = Number(event.queryStringParameters?.limit ?? widgets.length);
    return json(200, { widgets: widgets.slice(0, Number.isInteger(limit) && limit > 0 ? limit : widgets.length) });
  }
  if (method === 'POST') {
    let input: unknown;
    try {
      input = JSON.parse(bodyOf(event));
    } catch {
      return json(400, { message: 'Body must be JSON' });
    }
    const { name, color } = (input ?? {}) as Partial<Widget>;
    if (typeof name !== 'string' || name === '') return json(400, { message: 'name is required' });
    const widget = { id: `w-${widgets.length + 1}`, name, color: typeof color === 'string' ? color : 'grey' };
    return json(201, widget);
  }
  return json(405, { message: 'Method Not Allowed' });
};

// The two lines a user adds: wrap the handler, say who the caller is.
export const handler = middy(widgetsApi).use(apiCallCapture({ identifyCompany: companyOf, identifyUser: userOf }));
