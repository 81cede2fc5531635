// A small client for the gateway's API in end-to-end tests: JSON calls and SSE turns over real HTTP.

import { readEventStream } from "../../src/client/read-event-stream.ts";

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  /** Milliseconds since the request was sent. */
  at: number;
}

export function createApiClient(base: string, token: string | undefined) {
  const headers = (extra: Record<string, string> = {}) => ({
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    "content-type": "application/json",
    ...extra,
  });
  return {
    fetch: (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: headers(init.headers as Record<string, string> | undefined) }),
    async json<T>(path: string, init: RequestInit = {}): Promise<T> {
      const response = await fetch(`${base}${path}`, { ...init, headers: headers(init.headers as Record<string, string> | undefined) });
      if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    /** Sends a message with Accept: text/event-stream and collects every event with its arrival time. */
    async stream(projectId: string, text: string): Promise<SseEvent[]> {
      const sentAt = performance.now();
      const response = await fetch(`${base}/api/projects/${projectId}/messages`, {
        method: "POST",
        headers: headers({ accept: "text/event-stream" }),
        body: JSON.stringify({ text }),
      });
      if (!response.ok) throw new Error(`stream: ${response.status} ${await response.text()}`);
      const events: SseEvent[] = [];
      await readEventStream(response.body!, (event, data) => events.push({ event, data, at: performance.now() - sentAt }));
      return events;
    },
  };
}
