/**
 * shipgate/env: typed, validated environment variables for applications.
 *
 *   import { defineEnvOrExit, env } from "shipgate/env";
 *   export const config = defineEnvOrExit({
 *     DATABASE_URL: env.url({ description: "Postgres connection string", secret: true }),
 *     PORT: env.port({ default: 3000 }),
 *   });
 *
 * Independent of the CLI: importing it loads only this folder and zod.
 */

export type { DefineEnvOptions, DefineEnvOrExitOptions, EnvProblem, EnvSchema, InferEnv } from "./define.js";
export { defineEnv, defineEnvOrExit, EnvValidationError } from "./define.js";
export type { EnvExampleOptions } from "./example.js";
export { generateEnvExample } from "./example.js";
export type {
  AnyEnvSpec,
  Builder,
  EnvBuilders,
  EnvKind,
  EnvOptions,
  EnvSpec,
  InferSpec,
  JsonOptions,
} from "./specs.js";
export { env } from "./specs.js";
