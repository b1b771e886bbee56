export * from './gwlb';
export * from './monitoring';
export * from './patterns';
export * from './validation';
