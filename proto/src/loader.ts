import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType } from './gen/agent.js';

/** The directory holding `flotilla/v1/*.proto` (the package root, from src/ and from dist/ alike). */
export const PROTO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PROTO_FILES = ['flotilla/v1/agent.proto'] as const;

/** Must match the flags of `npm run gen`, or the generated types lie about the runtime shapes. */
export const LOADER_OPTIONS: Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: PackageDefinition | undefined;

export function packageDefinition(): PackageDefinition {
  cached ??= loadSync([...PROTO_FILES], LOADER_OPTIONS);
  return cached;
}

/** The typed gRPC package: `loadFlotillaProto().flotilla.v1.AgentService`. */
export function loadFlotillaProto(): ProtoGrpcType {
  return loadPackageDefinition(packageDefinition()) as unknown as ProtoGrpcType;
}

export type { ProtoGrpcType } from './gen/agent.js';
