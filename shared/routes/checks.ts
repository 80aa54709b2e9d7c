import type { RouteCheck } from './routes-file';

/**
 * The checks beyond routes.yml's schema that `osls package` and `npm start` both run: the event
 * pattern and the input transformation compile as EventBridge would accept them.
 */
export const routeChecks: RouteCheck[] = [];
