import type { EmulatorContext, Service } from '../server';
import { functionStatsRoute, gatewayRoute, invokeFunctionAction } from './gateway';
import { FunctionRuntime } from './runtime';

export interface FunctionsService extends Service {
  runtime: FunctionRuntime;
}

/** The functions runtime, the client gateway, `functions.invokeFunction` and the runtime's stats. */
export function functionsService(context: EmulatorContext): FunctionsService {
  const runtime = new FunctionRuntime(context);
  return {
    runtime,
    actions: { 'functions.invokeFunction': invokeFunctionAction(runtime, (token) => context.invocations.lookup(token)) },
    routes: [gatewayRoute(runtime), functionStatsRoute(runtime)],
    close: () => runtime.close(),
  };
}
