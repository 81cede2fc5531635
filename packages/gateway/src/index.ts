// The gateway package: users and tokens, projects, chat turns streamed as SSE, artifacts, the
// OpenAPI document and the web UI, in front of the agent and the runtime.

export { createRateLimiter, type RateLimit, type RateLimiter } from "./auth/rate-limiter.ts";
export { createLinkSigner, type LinkSigner } from "./auth/signed-links.ts";
export { type ClusterRuntimeLike, createClusterRuntimeAdapter } from "./cluster-runtime-adapter.ts";
export { createGateway, type Gateway, type GatewayOptions } from "./create-gateway.ts";
export { GatewayError, type GatewayErrorCode } from "./errors/gateway-error.ts";
export { createGatewayApp, type GatewayAppOptions, type GatewayRateLimits } from "./http/gateway-app.ts";
export { problemFor } from "./http/problem.ts";
export { buildOpenApiDocument } from "./openapi.ts";
export type * from "./ports.ts";
export { createRuntimeAdapter, deleteProjectData, type LocalRuntimeLike, type LocalRuntimeRoutes } from "./runtime-adapter.ts";
