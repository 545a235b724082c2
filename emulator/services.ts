import type { ServiceFactory } from './server';
import { clockService } from './clock';
import { dashboardService } from './dashboard';
import { databaseService } from './database';
import { functionsService } from './functions';
import { httpAccessService } from './http-access';
import { openApiService } from './openapi';
import { storageService } from './storage';
import { triggersService } from './triggers';
import { wechatService } from './wechat';

/**
 * The emulated backend, started in this order and closed in reverse (WeChat pushes run functions,
 * so it starts after them), then what the environment serves over HTTP: functions through HTTP
 * access, and the dashboard's static files.
 */
export const SERVICES: ServiceFactory[] = [clockService, databaseService, storageService, functionsService, wechatService, openApiService, triggersService, httpAccessService, dashboardService];
