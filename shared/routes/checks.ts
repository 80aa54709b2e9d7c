import { eventPatternCheck } from './event-pattern';
import { inputCheck } from './input-transformer';
import type { RouteCheck } from './routes-file';

/**
 * The checks beyond routes.yml's schema that `osls package` and `npm start` both run: the event
 * pattern and the input transformation compile as EventBridge's PutRule and PutTargets accept them.
 */
export const routeChecks: RouteCheck[] = [eventPatternCheck, inputCheck];
