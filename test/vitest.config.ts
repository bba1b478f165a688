import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../vitest.shared.js";

export default mergeConfig(sharedConfig, defineConfig({ test: { include: ["**/*.test.ts"], exclude: ["node_modules/**", "chaos/**", "packaging/fixtures/**"] } }));
