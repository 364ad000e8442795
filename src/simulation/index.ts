export * from './trace';
export * from './results';
export * from './deployment-options';
export * from './simulation';
export * from './benchmark';
