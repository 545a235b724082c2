import { clockService, type ClockService } from '../clock';
import type { EmulatorContext, Service } from '../server';
import { storageActions, storageRoutes } from './server';
import { FileStore } from './state';

/** Cloud storage on local disk: `cloud.uploadFile`, `downloadFile`, `getTempFileURL`, `deleteFile`. */
export function storageService(context: EmulatorContext): Service {
  const { clock } = context.service<ClockService>(clockService);
  const deps = {
    files: new FileStore(context.options.dataDir),
    baseUrl: () => context.url(),
    defaultEnv: context.project.envId,
    now: () => clock.now(),
  };
  return { actions: storageActions(deps), routes: storageRoutes(deps) };
}
