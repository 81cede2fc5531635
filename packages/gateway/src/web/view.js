// Tiny DOM helpers: h() builds elements, so the UI needs no framework and no build step.

/** h("div.card#main", { onclick, attrs }, ...children) */
export function h(tag, props = {}, ...children) {
  if (props instanceof Node || typeof props !== "object" || Array.isArray(props)) {
    children.unshift(props);
    props = {};
  }
  // "name", then any mix of ".class" and "#id" parts.
  const name = /^[a-z0-9-]+/i.exec(tag)?.[0] ?? "div";
  const element = document.createElement(name);
  for (const [, kind, value] of tag.slice(name.length).matchAll(/([.#])([\w-]+)/g)) {
    if (kind === "#") element.id = value;
    else element.classList.add(value);
  }
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "class") element.classList.add(...String(value).split(/\s+/).filter(Boolean));
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key in element && typeof value !== "string") element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function icon(name) {
  const paths = {
    cube: "M12 2l9 5v10l-9 5-9-5V7zM12 12l9-5M12 12v10M12 12L3 7",
    plus: "M12 5v14M5 12h14",
    trash: "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
    send: "M4 12l16-8-6 16-2-7z",
    back: "M15 5l-7 7 7 7",
    close: "M6 6l12 12M18 6L6 18",
    image: "M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15 9h.01",
    box: "M12 2l9 5v10l-9 5-9-5V7z",
    download: "M12 4v11M7 10l5 5 5-5M5 20h14",
    logout: "M15 4h4v16h-4M10 8l-4 4 4 4M6 12h11",
    stop: "M7 7h10v10H7z",
  };
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("icon");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", paths[name] ?? "");
  svg.append(path);
  return svg;
}

export function relativeTime(iso) {
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function formatBytes(bytes) {
  if (bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
