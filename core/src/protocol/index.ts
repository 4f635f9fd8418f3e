export * from './frame';
export * from './messages';
export * from './data-stream';
export * from './control-channel';
