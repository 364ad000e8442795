export * from './traffic/trace';
export * from './evidence/results';
export * from './cluster/deployment-options';
export * from './simulation';
export * from './evidence/benchmark';
export * from './cluster/node-pool-props';
