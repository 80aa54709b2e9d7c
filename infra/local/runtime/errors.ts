/** What the emulators say about a caught `unknown`. */

export const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
