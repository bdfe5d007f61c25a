/** The SDK's version, sent to the agent in `accept` (kept equal to package.json by a test). */
export const VERSION = '0.1.0';
