/**
 * The newest migration this build expects, for /readyz where the sql/ folder cannot be read (Workers).
 * A test keeps it equal to the last file in sql/.
 */
export const LATEST_MIGRATION = 25;
