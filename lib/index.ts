export * from './gwlb';
export * from './monitoring';
export * from './patterns';
export * from './tgw';
export * from './validation';
