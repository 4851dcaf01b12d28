/** Compiles src/ into build/ when a compiler input changed since the last compile (see ensure-build.js). */
export function ensureBuild(): void;
