/** The env schema of the design, as an application would declare it: shared by the env tests. */
import { env } from "../../src/env/index.js";

export const designSchema = {
  DATABASE_URL: env.url({
    description: "Postgres connection string",
    secret: true,
    example: "postgres://app@localhost:5432/app",
  }),
  PORT: env.port({ default: 3000, description: "HTTP port" }),
  LOG_LEVEL: env.enum(["debug", "info", "warn"], { default: "info" }),
  FEATURES: env.list({ default: [] }),
  TIMEOUT: env.duration({ default: "30s" }),
  DEBUG: env.boolean({ devDefault: true }),
  RETRIES: env.number({ default: 3 }),
  PAYLOAD: env.json<{ a: number }>({ optional: true }),
  API_KEY: env.string({ secret: true }),
};
