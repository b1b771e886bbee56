export * from './transit-gateway';
export * from './transit-gateway-route-table';
export * from './transit-gateway-vpc-attachment';
