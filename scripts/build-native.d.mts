// Types of scripts/build-native.mjs for the TypeScript tests and bench that import it.
export declare const NATIVE_TARGETS: { platform: string; arch: string; zigTarget: string }[];
export declare function nativeHookBinary(platform?: string, arch?: string, dist?: string): string;
export declare function buildNativeHook(env?: NodeJS.ProcessEnv): string | null;
export declare function findZig(env?: NodeJS.ProcessEnv): string | null;
export declare function crossBuildNativeHooks(env?: NodeJS.ProcessEnv, dist?: string): string[] | null;
