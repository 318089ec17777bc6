/**
 * milvaion-worker/serverless: the serverless handler, one function for Lambda-style hosts. It takes a job message or
 * an Amazon MQ for RabbitMQ event and runs each job through the same pipeline as a worker. It loads no broker,
 * store or Redis client: its RabbitMQ reporter is createHandlerReporter() from milvaion-worker/amqp.
 * @module milvaion-worker/serverless
 */
export { createHandler, type Handler, type HandlerOptions, type HandlerResult } from './serverless/create-handler.js';
export type { AmazonMqEvent, HandlerEvent } from './serverless/handler-event.js';
