/** The widest range one verify covers: a day (every file in it is read in full on its server). */
export const DAY_MS_VERIFY = 24 * 3_600_000;
