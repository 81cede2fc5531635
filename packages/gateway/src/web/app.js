// The web UI: sign in with a token, pick or create a project, chat with its agent while the turn
// streams in (plan, tool calls, Blender waking, render progress, reply), see renders inline and in
// a gallery, open exports in a 3D viewer. Plain ES modules, no build step.
import { ApiError, api, storedToken, storeToken } from "./api.js";
import { ARTIFACT_ID_PATTERN, MAX_MESSAGE_CHARS, MAX_PROJECT_NAME_CHARS, RENDER_DEFAULTS } from "./facts.js";
import { formatBytes, h, icon, relativeTime } from "./view.js";

const SUGGESTIONS = ["Add a red cube and render the scene", "Export the scene as GLB", "Add three blue spheres in a row, then render"];
const TOOL_LABELS = {
  add_object: "Add object",
  update_object: "Update object",
  delete_object: "Delete object",
  duplicate_object: "Duplicate object",
  set_material: "Set material",
  add_light: "Add light",
  set_camera: "Set camera",
  set_world: "Set background",
  clear_scene: "Clear scene",
  get_scene: "Read scene",
  render_frame: "Render",
  export_glb: "Export GLB",
  export_scene: "Export scene",
  import_model: "Import model",
};

const state = {
  user: null,
  projects: [],
  projectsLoading: true,
  current: null,
  messages: [],
  messagesLoading: false,
  instance: null,
  instanceAt: 0,
  live: null,
  sending: false,
  view: "list",
  pane: "chat",
  error: null,
};

const root = document.getElementById("app");
let viewerModuleLoaded = false;
let pollTimer;

// ---------- sign in ----------

async function start() {
  const token = storedToken();
  if (!token) return renderSignIn();
  try {
    state.user = await api.me(token);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) storeToken(null);
    return renderSignIn(error.message);
  }
  renderShell();
  await loadProjects();
  window.addEventListener("hashchange", route);
  route();
}

function renderSignIn(message) {
  const input = h("input#token", {
    type: "password",
    autocomplete: "current-password",
    placeholder: "bod_…",
    required: true,
    "aria-label": "API token",
    spellcheck: "false",
  });
  const error = h("p.form-error", { role: "alert" }, message ?? "");
  const button = h("button.button.primary", { type: "submit" }, "Sign in");
  const form = h(
    "form.signin-card",
    {
      async onsubmit(event) {
        event.preventDefault();
        button.disabled = true;
        button.textContent = "Signing in…";
        error.textContent = "";
        try {
          state.user = await api.me(input.value.trim());
          storeToken(input.value.trim());
          await start();
        } catch (caught) {
          error.textContent = caught.status === 401 ? "That token is not valid. Check it and try again." : caught.message;
          button.disabled = false;
          button.textContent = "Sign in";
        }
      },
    },
    h("div.brand.large", icon("cube"), h("span", "blender-on-demand")),
    h("h1", "Sign in"),
    h("p.muted", "Describe a 3D scene in plain words; a headless Blender wakes up to build and render it."),
    h("label.field", h("span", "API token"), input),
    error,
    button,
    h(
      "p.hint",
      "No token? Run ",
      h("code", "bod user add NAME"),
      " on the server, or use the one ",
      h("code", "bod serve"),
      " printed at start.",
    ),
  );
  root.replaceChildren(h("main.signin", form));
  input.focus();
}

window.addEventListener("bod:signed-out", () => {
  if (state.user) signOut("Your token is no longer valid; sign in again.");
});

function signOut(message) {
  storeToken(null);
  clearInterval(pollTimer);
  Object.assign(state, { user: null, projects: [], current: null, messages: [], live: null });
  location.hash = "";
  renderSignIn(typeof message === "string" ? message : undefined);
}

// ---------- shell and routing ----------

function renderShell() {
  root.replaceChildren(
    h(
      "div.shell#shell",
      { dataset: { view: state.view } },
      h(
        "header.topbar",
        h("a.brand", { href: "#/" }, icon("cube"), h("span", "blender-on-demand")),
        h(
          "div.topbar-right",
          h("span.user-chip", { title: "Signed in" }, state.user.name),
          h("button.icon-button", { title: "Sign out", "aria-label": "Sign out", onclick: signOut }, icon("logout")),
        ),
      ),
      h("aside.sidebar#sidebar"),
      h("main.project#project"),
    ),
    h("dialog.viewer#viewer"),
  );
  renderSidebar();
  renderProject();
}

function route() {
  const match = /^#\/p\/([a-z0-9-]+)/.exec(location.hash);
  if (match) openProject(match[1]);
  else {
    state.current = null;
    state.view = "list";
    clearInterval(pollTimer);
    renderSidebar();
    renderProject();
  }
  document.getElementById("shell")?.setAttribute("data-view", state.view);
}

async function loadProjects() {
  state.projectsLoading = true;
  renderSidebar();
  try {
    state.projects = (await api.projects()).projects;
    state.error = null;
  } catch (error) {
    state.error = error.message;
  }
  state.projectsLoading = false;
  renderSidebar();
}

// ---------- sidebar ----------

function renderSidebar() {
  const sidebar = document.getElementById("sidebar");
  if (!sidebar) return;
  const input = h("input", {
    name: "name",
    placeholder: "New project name",
    maxlength: MAX_PROJECT_NAME_CHARS,
    required: true,
    "aria-label": "New project name",
  });
  const form = h(
    "form.new-project",
    {
      async onsubmit(event) {
        event.preventDefault();
        const name = input.value.trim();
        if (!name) return;
        form.querySelector("button").disabled = true;
        try {
          const project = await api.createProject(name);
          state.projects.unshift(project);
          location.hash = `#/p/${project.id}`;
        } catch (error) {
          toast(error.message, "error");
        }
        form.querySelector("button").disabled = false;
      },
    },
    input,
    h("button.button.primary", { type: "submit", title: "Create project" }, icon("plus"), h("span", "Create")),
  );
  let list;
  if (state.projectsLoading) list = h("div.list-state", h("span.spinner"), "Loading projects…");
  else if (state.error && state.projects.length === 0)
    list = h("div.list-state.error", state.error, h("button.button.small", { onclick: loadProjects }, "Retry"));
  else if (state.projects.length === 0)
    list = h("div.list-state", h("strong", "No projects yet"), h("span", "Create one above to start a scene."));
  else
    list = h(
      "nav.project-list",
      { "aria-label": "Projects" },
      state.projects.map((project) =>
        h(
          "a.project-item",
          {
            href: `#/p/${project.id}`,
            class: state.current?.id === project.id ? "active" : "",
            "aria-current": state.current?.id === project.id ? "page" : undefined,
          },
          h("span.project-icon", icon("box")),
          h("span.project-text", h("span.project-name", project.name), h("span.project-meta", relativeTime(project.createdAt))),
          h("span.state-dot", {
            class: `state-${project.instance?.state ?? "asleep"}`,
            title: `Blender ${project.instance?.state ?? "asleep"}`,
          }),
        ),
      ),
    );
  sidebar.replaceChildren(h("div.sidebar-head", h("h2", "Projects"), h("span.count", state.projects.length || "")), form, list);
}

// ---------- project ----------

async function openProject(id) {
  if (state.current?.id !== id) {
    state.current = state.projects.find((project) => project.id === id) ?? { id, name: "…", createdAt: new Date().toISOString() };
    state.messages = [];
    state.live = null;
    state.pane = "chat";
    state.messagesLoading = true;
    state.instance = state.current.instance ?? null;
    state.instanceAt = Date.now();
  }
  state.view = "project";
  document.getElementById("shell")?.setAttribute("data-view", "project");
  renderSidebar();
  renderProject();
  try {
    const [project, history] = await Promise.all([api.project(id), api.messages(id)]);
    if (state.current?.id !== id) return;
    state.current = project;
    state.messages = history.messages;
    state.instance = project.instance;
    state.instanceAt = Date.now();
    state.messagesLoading = false;
    renderProject();
  } catch (error) {
    state.messagesLoading = false;
    if (error.status === 404) {
      toast("That project does not exist or is not yours.", "error");
      location.hash = "#/";
      return;
    }
    renderProject(error.message);
  }
  clearInterval(pollTimer);
  pollTimer = setInterval(pollInstance, 1000);
}

let pollCount = 0;
async function pollInstance() {
  renderBadge();
  // Ask the server every 3 s (every second while waking); count down locally in between.
  pollCount++;
  if (!state.current || (pollCount % 3 !== 0 && state.instance?.state !== "waking")) return;
  try {
    const id = state.current.id;
    const instance = await api.instance(id);
    if (state.current?.id !== id) return;
    state.instance = instance;
    state.instanceAt = Date.now();
    syncListedState(id, instance);
    renderBadge();
  } catch {}
}

function badgeContent() {
  const instance = state.instance ?? { state: "asleep" };
  if (instance.state === "waking") return { cls: "waking", text: "Waking Blender…" };
  if (instance.state === "sleeping") return { cls: "sleeping", text: "Saving, going to sleep" };
  if (instance.state === "ready") {
    if (instance.busy || state.sending) return { cls: "ready busy", text: "Blender working" };
    if (instance.sleepsInSeconds !== null && instance.sleepsInSeconds !== undefined) {
      const left = Math.max(0, instance.sleepsInSeconds - Math.floor((Date.now() - state.instanceAt) / 1000));
      return { cls: "ready", text: left > 0 ? `Blender ready · sleeps in ${left} s` : "Blender going to sleep" };
    }
    return { cls: "ready", text: "Blender ready" };
  }
  return { cls: "asleep", text: "Blender asleep" };
}

function renderBadge() {
  const badge = document.getElementById("badge");
  if (!badge) return;
  const { cls, text } = badgeContent();
  badge.className = `badge ${cls}`;
  badge.querySelector(".badge-text").textContent = text;
  badge.title =
    state.instance?.state === "asleep" || !state.instance
      ? "No Blender runs for this project; the next message wakes one (about 2 s)."
      : state.instance?.coldStartMs
        ? `Last wake-up took ${(state.instance.coldStartMs / 1000).toFixed(1)} s.`
        : "";
}

function renderProject(loadError) {
  const main = document.getElementById("project");
  if (!main) return;
  if (!state.current) {
    main.replaceChildren(
      h(
        "div.empty-project",
        h("div.empty-art", icon("cube")),
        h("h2", "Pick a project"),
        h("p.muted", "Each project has its own scene and its own Blender, which runs only while you work on it."),
      ),
    );
    return;
  }
  const project = state.current;
  const head = h(
    "div.project-head",
    h("a.icon-button.back", { href: "#/", "aria-label": "Back to projects" }, icon("back")),
    h("div.project-title", h("h1", project.name), h("span#badge.badge", { role: "status" }, h("span.badge-dot"), h("span.badge-text"))),
    h(
      "div.tabs",
      { role: "tablist" },
      h("button.tab", { role: "tab", "aria-selected": String(state.pane === "chat"), onclick: () => switchPane("chat") }, "Chat"),
      h(
        "button.tab",
        { role: "tab", "aria-selected": String(state.pane === "gallery"), onclick: () => switchPane("gallery") },
        "Gallery",
        h("span.tab-count", galleryArtifacts().length || ""),
      ),
    ),
    h(
      "button.icon-button.danger",
      { title: "Delete project", "aria-label": "Delete project", onclick: () => confirmDelete(project) },
      icon("trash"),
    ),
  );
  const body = h(
    "div.project-body",
    { dataset: { pane: state.pane } },
    h("section.chat", h("div.messages#messages", { "aria-live": "polite" }), composer()),
    h("aside.gallery#gallery", { "aria-label": "Gallery" }),
  );
  main.replaceChildren(head, body);
  renderBadge();
  renderMessages(loadError);
  renderGallery();
}

function switchPane(pane) {
  state.pane = pane;
  renderProject();
}

function composer() {
  const textarea = h("textarea#message", {
    rows: 1,
    placeholder: "Describe a change to the scene…",
    maxlength: MAX_MESSAGE_CHARS,
    "aria-label": "Message",
    disabled: state.sending,
    oninput: () => autosize(textarea),
    onkeydown(event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    },
  });
  const form = h(
    "form.composer",
    {
      onsubmit(event) {
        event.preventDefault();
        const text = textarea.value.trim();
        if (text && !state.sending) send(text);
      },
    },
    textarea,
    state.sending
      ? h("button.send.stop", { type: "button", "aria-label": "Stop", title: "Stop this turn", onclick: stopTurn }, icon("stop"))
      : h("button.send", { type: "submit", "aria-label": "Send", title: "Send (Enter)" }, icon("send")),
  );
  return form;
}

async function stopTurn(event) {
  event.currentTarget.disabled = true;
  try {
    await api.cancelTurn(state.current.id);
  } catch (error) {
    if (error.status !== 404) toast(error.message, "error");
  }
}

function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight, 180)}px`;
}

async function confirmDelete(project) {
  if (!confirm(`Delete “${project.name}”? Its scene, renders and conversation are removed for good.`)) return;
  try {
    await api.deleteProject(project.id);
    state.projects = state.projects.filter((entry) => entry.id !== project.id);
    toast(`Deleted “${project.name}”.`);
    location.hash = "#/";
  } catch (error) {
    toast(error.message, "error");
  }
}

// ---------- conversation ----------

function renderMessages(loadError) {
  const container = document.getElementById("messages");
  if (!container) return;
  let content;
  if (state.messagesLoading) content = h("div.list-state", h("span.spinner"), "Loading conversation…");
  else if (loadError)
    content = h("div.list-state.error", loadError, h("button.button.small", { onclick: () => openProject(state.current.id) }, "Retry"));
  else if (state.messages.length === 0 && !state.live)
    content = h(
      "div.chat-empty",
      h("div.empty-art", icon("cube")),
      h("h2", "Start your scene"),
      h(
        "p.muted",
        "Tell the agent what to build. Blender wakes up on the first change and goes back to sleep after a quiet minute; your scene stays.",
      ),
      h(
        "div.suggestions",
        SUGGESTIONS.map((text) => h("button.suggestion", { onclick: () => send(text) }, text)),
      ),
    );
  else content = [...state.messages.map(messageView), state.live ? liveView(state.live) : null];
  container.replaceChildren(...[content].flat().filter(Boolean));
  container.scrollTop = container.scrollHeight;
}

/**
 * The reply without the links to its own artifacts that the reasoner wrote into it: the images and
 * cards show them. A link is recognised by the artifact's id in it, whatever the rest of the URL
 * looks like (the gateway's, or a long presigned one on another host).
 */
function replyText(text, artifacts) {
  let result = text;
  for (const artifact of artifacts ?? []) {
    if (typeof artifact.id !== "string" || !ARTIFACT_ID_PATTERN.test(artifact.id)) continue;
    const id = artifact.id.replace(".", "\\.");
    result = result.replace(
      new RegExp(`:?\\s*https?:\\/\\/[^\\s"'<>()]*?\\/${id}(?![\\w/%-])(?:[?#][^\\s"'<>()]*[^\\s"'<>().,;:!?])?`, "g"),
      ".",
    );
  }
  return result.replace(/\.\./g, ".").trim();
}

/** After an image loads, stay at the bottom of the conversation if we were near it. */
function keepScrolledDown() {
  const container = document.getElementById("messages");
  if (container && container.scrollHeight - container.scrollTop - container.clientHeight < 700)
    container.scrollTop = container.scrollHeight;
}

function messageView(message) {
  if (message.role === "user") return h("div.message.user", h("div.bubble", message.text));
  return h(
    "div.message.assistant",
    h("div.avatar", icon("cube")),
    h(
      "div.bubble",
      message.toolCalls.length > 0 ? stepsSummary(message.toolCalls) : null,
      h("div.reply", replyText(message.text, message.artifacts)),
      artifactsView(message.artifacts),
      h("div.meta", relativeTime(message.createdAt)),
    ),
  );
}

function stepsSummary(toolCalls) {
  const failed = toolCalls.filter((call) => call.error).length;
  const total = toolCalls.reduce((sum, call) => sum + (call.durationMs ?? 0), 0);
  return h(
    "details.steps",
    h(
      "summary",
      `${toolCalls.length} tool call${toolCalls.length === 1 ? "" : "s"}`,
      failed ? h("span.failed", ` · ${failed} failed`) : null,
      h("span.muted", ` · ${(total / 1000).toFixed(1)} s`),
    ),
    h(
      "ol.timeline",
      toolCalls.map((call) =>
        stepRow({
          name: call.name,
          arguments: call.arguments,
          status: call.error ? "error" : "done",
          durationMs: call.durationMs,
          error: call.error,
        }),
      ),
    ),
  );
}

function describeArguments(args) {
  if (!args || typeof args !== "object") return "";
  return Object.entries(args)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) =>
      Array.isArray(value)
        ? `${key} ${value.join(", ")}`
        : typeof value === "object"
          ? key
          : key === "type" || key === "name"
            ? String(value)
            : `${key} ${value}`,
    )
    .join(" · ");
}

function stepRow(step) {
  const status =
    step.status === "running"
      ? h("span.spinner")
      : step.status === "error"
        ? h("span.step-mark.error", "!")
        : h("span.step-mark.done", "✓");
  return h(
    "li.step",
    { class: step.status },
    status,
    h(
      "div.step-body",
      h("span.step-name", step.arguments?.preset === "preview" ? "Preview" : (TOOL_LABELS[step.name] ?? step.label ?? step.name)),
      h("span.step-args", step.detail ?? describeArguments(step.arguments)),
      step.progress !== undefined && step.status === "running"
        ? h(
            "div.step-progress",
            { role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(step.progress * 100) },
            h("span.step-progress-value", { style: `width: ${Math.round(step.progress * 100)}%` }),
          )
        : null,
      step.error ? h("span.step-error", step.error.message) : null,
    ),
    step.durationMs !== undefined && step.status !== "running"
      ? h("span.step-time", `${step.durationMs < 1000 ? `${step.durationMs} ms` : `${(step.durationMs / 1000).toFixed(1)} s`}`)
      : null,
  );
}

function liveView(live) {
  return h(
    "div.message.assistant.live",
    h("div.avatar", icon("cube")),
    h(
      "div.bubble",
      h("ol.timeline", live.steps.map(stepRow)),
      live.reply
        ? h("div.reply", replyText(live.reply, live.artifacts))
        : live.steps.length === 0
          ? h("div.thinking", h("span.dots", h("i"), h("i"), h("i")), "Thinking")
          : null,
      artifactsView(live.artifacts, live.steps),
    ),
  );
}

/** The preview a turn ends with after changing the scene (the agent records its image as kind "preview"). */
function isPreview(artifact) {
  return artifact.kind === "preview";
}

/**
 * The turn's images and files; `steps` (a turn in progress) adds the first look of each render still
 * running, in the place its render takes once it is done.
 */
function artifactsView(artifacts, steps = []) {
  const partials = steps.filter((step) => step.status === "running" && step.partial);
  if (!artifacts?.length && partials.length === 0) return null;
  return h(
    "div.artifacts",
    (artifacts ?? []).map((artifact) =>
      artifact.mimeType.startsWith("image/")
        ? h(
            "a.render",
            { href: artifact.signedUrl, target: "_blank", rel: "noopener", class: isPreview(artifact) ? "preview" : "" },
            h("img", {
              src: artifact.signedUrl,
              alt: isPreview(artifact) ? "Preview of the scene" : "Render of the scene",
              width: RENDER_DEFAULTS.width,
              height: RENDER_DEFAULTS.height,
              onload: keepScrolledDown,
            }),
            isPreview(artifact) ? h("span.render-label", "Preview") : null,
          )
        : exportCard(artifact),
    ),
    partials.map((step) =>
      h(
        "div.render-partial",
        { "aria-busy": "true" },
        h("img", {
          src: step.partial.src,
          alt: "First look while the render runs",
          width: RENDER_DEFAULTS.width,
          height: RENDER_DEFAULTS.height,
          onload: keepScrolledDown,
        }),
        h("span.render-label", step.partial.label),
      ),
    ),
  );
}

function isModel(artifact) {
  return artifact.mimeType === "model/gltf-binary" || artifact.mimeType === "model/gltf+json" || /\.(glb|gltf)$/.test(artifact.id);
}

function exportCard(artifact) {
  const format = (artifact.id.split(".").pop() ?? "file").toUpperCase();
  return h(
    "div.export-card",
    h("span.export-icon", icon("box")),
    h("div.export-text", h("strong", `Scene · ${format}`), h("span.muted", formatBytes(artifact.bytes))),
    h(
      "div.export-actions",
      isModel(artifact) ? h("button.button.small.primary", { onclick: () => openViewer(artifact) }, "View in 3D") : null,
      h("a.button.small", { href: artifact.signedUrl, download: `scene.${format.toLowerCase()}` }, icon("download"), h("span", "Download")),
    ),
  );
}

// ---------- a turn, live ----------

/** Keeps the project list's state dot in step with the open project's badge. */
function syncListedState(id, instance) {
  const listed = state.projects.find((project) => project.id === id);
  if (!listed || listed.instance?.state === instance.state) return;
  listed.instance = instance;
  renderSidebar();
}

function wakeDone(step) {
  step.status = "done";
  step.label = "Blender ready";
  step.durationMs = Date.now() - step.startedAt;
}

async function send(text) {
  const project = state.current;
  state.sending = true;
  state.live = { steps: [], reply: "", artifacts: [], text };
  state.messages.push({ id: -Date.now(), role: "user", text, toolCalls: [], artifacts: [], createdAt: new Date().toISOString() });
  state.pane = "chat";
  renderProject();
  const live = state.live;
  const stepFor = (id) => live.steps.find((step) => step.id === id);
  let finalTurn;
  const update = () => {
    if (state.current?.id === project.id && state.live === live) renderMessages();
  };
  try {
    await api.sendMessage(project.id, text, ({ event, data }) => {
      switch (event) {
        case "instance-state": {
          state.instance = data;
          state.instanceAt = Date.now();
          renderBadge();
          syncListedState(project.id, data);
          const waking = live.steps.find((step) => step.id === "wake");
          if (data.state === "waking" && !waking) {
            // Blender wakes for the call that is running now: show the wake-up first.
            const running = live.steps.findIndex((step) => step.status === "running");
            const wake = {
              id: "wake",
              label: "Waking Blender",
              detail: "starting a headless Blender for this project",
              status: "running",
              startedAt: Date.now(),
            };
            live.steps.splice(running < 0 ? live.steps.length : running, 0, wake);
          }
          if (data.state === "ready" && waking) {
            if (waking.status === "running") wakeDone(waking);
            if (data.coldStartMs) waking.durationMs = data.coldStartMs;
          }
          break;
        }
        case "tool-call-start":
          live.steps.push({ id: data.id, name: data.name, arguments: data.arguments, status: "running" });
          break;
        case "progress": {
          const step = stepFor(data.id);
          if (step && data.total) step.progress = Math.max(step.progress ?? 0, data.progress / data.total);
          if (step && data.message) step.detail = data.message;
          // A first look of a render in progress: shown where the render will appear, until it does.
          if (step && data.image?.mimeType === "image/png" && typeof data.image.data === "string")
            step.partial = {
              src: `data:image/png;base64,${data.image.data}`,
              label:
                Number.isInteger(data.image.samples) && data.total
                  ? `Rendering… ${data.image.samples} of ${data.total} samples`
                  : "Rendering…",
            };
          break;
        }
        case "tool-call-end": {
          // A call that ran had a Blender to run in: it is awake, whatever the next state event says.
          const waking = live.steps.find((step) => step.id === "wake");
          if (waking?.status === "running" && !data.isError) {
            wakeDone(waking);
            if (state.instance?.state === "waking") {
              state.instance = { ...state.instance, state: "ready", busy: true };
              renderBadge();
              syncListedState(project.id, state.instance);
            }
          }
          const step = stepFor(data.id);
          if (step) Object.assign(step, { status: data.isError ? "error" : "done", durationMs: data.durationMs, error: data.error });
          live.artifacts.push(...(data.artifacts ?? []));
          break;
        }
        case "reply":
          live.reply = data.text;
          break;
        case "error":
          if (data.code === "internal") live.reply = data.message;
          break;
        case "turn":
          finalTurn = data;
          break;
      }
      update();
    });
  } catch (error) {
    live.reply = error instanceof ApiError ? error.message : "The connection was lost before the answer arrived.";
    live.failed = true;
  }
  state.sending = false;
  if (state.current?.id !== project.id) return;
  state.live = null;
  if (finalTurn) {
    state.messages.push({
      id: Date.now(),
      role: "assistant",
      text: finalTurn.reply,
      toolCalls: finalTurn.toolCalls,
      artifacts: finalTurn.artifacts,
      createdAt: new Date().toISOString(),
    });
    if (finalTurn.instance) {
      state.instance = finalTurn.instance;
      state.instanceAt = Date.now();
    }
  } else {
    state.messages.push({
      id: Date.now(),
      role: "assistant",
      text: live.reply || "No answer.",
      toolCalls: [],
      artifacts: live.artifacts,
      createdAt: new Date().toISOString(),
      failed: true,
    });
  }
  renderProject();
  document.getElementById("message")?.focus();
}

// ---------- gallery and 3D viewer ----------

/** The project's renders and exports, newest first; the previews after each change stay in the conversation. */
function galleryArtifacts() {
  return state.messages
    .flatMap((message) => message.artifacts ?? [])
    .filter((artifact) => !isPreview(artifact))
    .reverse();
}

function renderGallery() {
  const gallery = document.getElementById("gallery");
  if (!gallery) return;
  const artifacts = galleryArtifacts();
  const renders = artifacts.filter((artifact) => artifact.mimeType.startsWith("image/"));
  const exports = artifacts.filter((artifact) => !artifact.mimeType.startsWith("image/"));
  gallery.replaceChildren(
    h("h2", "Renders", h("span.count", renders.length || "")),
    renders.length === 0
      ? h("p.gallery-empty", "Renders appear here. Try “render the scene”.")
      : h(
          "div.render-grid",
          renders.map((artifact) =>
            h(
              "a.thumb",
              { href: artifact.signedUrl, target: "_blank", rel: "noopener" },
              h("img", { src: artifact.signedUrl, alt: "Render", loading: "lazy" }),
            ),
          ),
        ),
    h("h2", "Exports", h("span.count", exports.length || "")),
    exports.length === 0
      ? h("p.gallery-empty", "Exports (GLB, OBJ, …) appear here. Try “export the scene as GLB”.")
      : h("div.export-list", exports.map(exportCard)),
  );
}

async function openViewer(artifact) {
  const dialog = document.getElementById("viewer");
  if (!viewerModuleLoaded) {
    await import("/vendor/model-viewer.min.js");
    viewerModuleLoaded = true;
  }
  const viewer = h("model-viewer#model", {
    src: artifact.signedUrl,
    alt: "3D view of the exported scene",
    "camera-controls": true,
    "auto-rotate": true,
    "shadow-intensity": "1",
    exposure: "1",
    "interaction-prompt": "none",
  });
  const status = h("div.viewer-status", h("span.spinner"), "Loading model…");
  viewer.addEventListener("load", () => status.remove());
  viewer.addEventListener("error", () => {
    status.replaceChildren("This model could not be shown.");
  });
  dialog.replaceChildren(
    h(
      "div.viewer-head",
      h("strong", "3D view"),
      h("span.muted", formatBytes(artifact.bytes)),
      h("a.button.small", { href: artifact.signedUrl, download: "scene.glb" }, icon("download"), h("span", "Download")),
      h("button.icon-button", { "aria-label": "Close", onclick: () => dialog.close() }, icon("close")),
    ),
    h("div.viewer-stage", viewer, status),
    h("p.viewer-hint", "Drag to orbit · scroll or pinch to zoom"),
  );
  dialog.showModal();
}

// ---------- toasts ----------

function toast(message, kind = "info") {
  const element = h("div.toast", { class: kind, role: kind === "error" ? "alert" : "status" }, message);
  document.body.append(element);
  setTimeout(() => element.classList.add("leaving"), 3500);
  setTimeout(() => element.remove(), 4000);
}

start();
