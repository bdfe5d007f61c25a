// The script-tag bundle (global MessagingCalls): the core and every
// optional entry, so a page needs one tag.
export * from './index';
export * from './transport/index';
export * from './monitor/index';
export * from './diagnostics/index';
export * from './ui/index';
export * from './analytics/index';
