import type { ServiceFactory } from './server';

/** The emulated backend, started in this order and closed in reverse. */
export const SERVICES: ServiceFactory[] = [];
