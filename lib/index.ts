export * from './gwlb';
export * from './patterns';
export * from './validation';
