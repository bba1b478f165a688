// Stands in for @gitty/driver-files while that package has no sources (see vitest.config.ts).
export {};
