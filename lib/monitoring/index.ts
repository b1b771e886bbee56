export * from './inspection-metrics';
export * from './inspection-monitoring';
