export * from './gateway-load-balancer';
export * from './gateway-load-balancer-listener';
export { GeneveHealthCheck, GeneveHealthCheckProtocol } from './geneve-health-check';
export * from './geneve-target-group';
export * from './geneve-targets';
export * from './gateway-load-balancer-endpoint-service';
export * from './gateway-load-balancer-endpoint';
export * from './ingress-route-table';
export * from './endpoint-routes';
