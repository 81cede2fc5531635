// The gateway package: users and tokens, projects, chat turns streamed as SSE, artifacts, the
// OpenAPI document and the web UI, in front of the agent and the runtime.

export { type AttachedGateway, type AttachGatewayOptions, attachGateway, isRuntimePath } from "./attach-gateway.ts";
export { createRateLimiter, type RateLimit, type RateLimiter } from "./auth/rate-limiter.ts";
export { createLinkSigner, type LinkSigner } from "./auth/signed-links.ts";
export { GatewayError, type GatewayErrorCode } from "./errors/gateway-error.ts";
export { createGatewayApp, type GatewayAppOptions, type GatewayRateLimits } from "./http/gateway-app.ts";
export { problemFor } from "./http/problem.ts";
export { buildOpenApiDocument } from "./openapi.ts";
export type * from "./ports.ts";
export { createRuntimeAdapter, type LocalRuntimeLike } from "./runtime-adapter.ts";
