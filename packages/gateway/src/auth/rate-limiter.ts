// A token bucket per key in this process's memory, refilled continuously. The gateway uses it for
// requests that failed authentication, per client address: per-user limits live in the State,
// shared by every replica, but traffic without a valid token must never cost a database write.

export interface RateLimit {
  /** Requests allowed in a burst. */
  capacity: number;
  /** Requests added back per second. */
  refillPerSecond: number;
}

export interface RateLimiter {
  /** Takes one request from the bucket; returns 0 when allowed, else seconds until one is. */
  take(key: string, limit: RateLimit): number;
}

export function createRateLimiter(options: { now?: () => number; maxKeys?: number } = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, limit) {
      const at = now();
      const bucket = buckets.get(key) ?? { tokens: limit.capacity, at };
      bucket.tokens = Math.min(limit.capacity, bucket.tokens + ((at - bucket.at) / 1000) * limit.refillPerSecond);
      bucket.at = at;
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.refillPerSecond));
    },
  };
}
