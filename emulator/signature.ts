import { version } from '../package.json';

/**
 * The header the emulator sends with every answer, its value Rukou's version (package.json's):
 * how `rukou invoke`, `trigger` and `clock` tell an emulator from anything else that answers JSON.
 */
export const EMULATOR_HEADER = 'x-rukou-emulator';

/** Rukou's version, package.json's (`rukou --version`, the header's value). */
export const VERSION: string = version;
