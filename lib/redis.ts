/**
 * milvaion-worker/redis: cancellation over Redis on its own (the redis client loads when the first subscriber is created).
 * @module milvaion-worker/redis
 */
export { createRedisCancellation, DEFAULT_CANCELLATION_CHANNEL, type RedisCancellation, type RedisCancellationOptions, type RedisHealth } from './control/redis/create-redis-cancellation.js';
export { parseCancellation, toRedisTarget, type CancellationRequest, type RedisSettings, type RedisTarget } from './control/redis/parse-cancellation.js';
export { toCancellationMessage } from './control/redis/to-cancellation-message.js';
