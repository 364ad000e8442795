export * from './gpu';
export * from './model';
export * from './sizing';
export * from './model-cache';
export * from './vllm-service';
export * from './queue-autoscaler';
export * from './warm-floor';
export * from './alerts';
