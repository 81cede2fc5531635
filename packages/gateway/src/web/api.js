// The gateway's API from the browser: the token from sign-in goes in the Authorization header of
// every call; errors arrive as problem+json and are thrown as ApiError with the server's message.
import { readEventStream } from "./sse.js";

const TOKEN_KEY = "bod.token";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `Request failed (${status}).`);
    this.status = status;
    this.code = problem?.code ?? "error";
  }
}

export function storedToken() {
  return localStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

async function call(path, { method = "GET", body, token = storedToken(), accept = "application/json", signal } = {}) {
  const headers = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: "The server cannot be reached. Is `bod serve` running?", code: "offline" });
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => undefined);
    // The stored token stopped working (revoked, or the server's data dir changed): sign out.
    if (response.status === 401 && token && token === storedToken()) window.dispatchEvent(new CustomEvent("bod:signed-out"));
    throw new ApiError(response.status, problem);
  }
  return response;
}

const json = async (response) => (response.status === 204 ? undefined : response.json());

export const api = {
  me: (token) => call("/api/me", { token }).then(json),
  projects: () => call("/api/projects").then(json),
  createProject: (name) => call("/api/projects", { method: "POST", body: { name } }).then(json),
  project: (id) => call(`/api/projects/${id}`).then(json),
  deleteProject: (id) => call(`/api/projects/${id}`, { method: "DELETE" }).then(json),
  cancelTurn: (id) => call(`/api/projects/${id}/turn`, { method: "DELETE" }).then(() => undefined),
  instance: (id) => call(`/api/projects/${id}/instance`).then(json),
  messages: (id) => call(`/api/projects/${id}/messages?limit=200`).then(json),
  /** Sends a message and calls onEvent for each event of the turn as it happens. */
  async sendMessage(id, text, onEvent, signal) {
    const response = await call(`/api/projects/${id}/messages`, { method: "POST", body: { text }, accept: "text/event-stream", signal });
    await readEventStream(response, onEvent);
  },
};
