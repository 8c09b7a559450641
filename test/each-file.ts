/**
 * Runs in every test file before its tests (vitest.config.ts `setupFiles`), also when the files of one
 * worker share modules: what each file must clean up after itself.
 */
import { afterAll } from 'vitest';
import { dropTestSchemas } from './dialects.js';

afterAll(dropTestSchemas);
