/** Whether a value read from JSON is an object (`{…}`): not null, not an array. The emulator's one test of it outside the database, whose documents have their own (database/semantics.ts). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
