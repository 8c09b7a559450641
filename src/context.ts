/**
 * @module What every surface (CLI command, API route, worker) is handed: configuration, the database and
 * a logger. Built once per process by `openContext`.
 */
import type { Config } from './config/config.js';
import type { Logger } from './log.js';
import type { VigilDatabase } from './store/database.js';

export interface AppContext {
  config: Config;
  vdb: VigilDatabase;
  log: Logger;
}
