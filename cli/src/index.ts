// The cli package. Its behaviour arrives with its own issue; this file anchors the workspace build.
export const COMPONENT = 'cli';
