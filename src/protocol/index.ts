export * from './messages';
export { parseMessage, isValidId, exceedsMaxBytes } from './validate';
export type { ParseResult, InvalidCode } from './validate';
export { newId, SeenIds } from './ids';
export { envelope } from './envelope';
