/** The error base class lives in @flotilla/common (the CLI uses it without gRPC); re-exported here. */
export { FlotillaError, isFlotillaError } from '@flotilla/common';
