import { join } from 'node:path';

/** The repository root: handler module paths (serverless.yml `handler:`) and `osls` resolve from here. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Local state kept out of git (`.local/`, ignored): the dev JWT key. */
export const LOCAL_STATE_DIR = join(REPO_ROOT, '.local');
