export * from './gwlb';
export * from './patterns';
export * from './tgw';
export * from './validation';
