/** The release of gru-ts (package.json's version; test/package.test.ts holds them equal). Model files record it. */
export const GRU_TS_VERSION = '0.1.0';
