/**
 * Waits until `condition` holds, checking it again every few milliseconds: for what another
 * process does in its own time (a line its pipe has not delivered yet, a write still in flight).
 * There is no deadline of its own: a condition that never comes fails the test at jest's timeout,
 * however loaded the machine is before that.
 */
export async function until(condition: () => boolean | Promise<boolean>, everyMs = 10): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
