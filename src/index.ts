export * from './gpu';
export * from './model';
export * from './sizing';
export * from './model-cache';
export * from './vllm-service';
