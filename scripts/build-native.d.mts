// Types of scripts/build-native.mjs for the TypeScript tests and bench that import it.
export declare function nativeHookBinary(platform?: string, arch?: string): string;
export declare function buildNativeHook(env?: NodeJS.ProcessEnv): string | null;
