export * from './centralized-options';
export * from './centralized-inspection';
export * from './inspected-spoke';
export * from './uninspected-traffic';
