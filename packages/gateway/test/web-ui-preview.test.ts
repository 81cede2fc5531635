// The web UI in headless Chromium against `bod serve` with real Blender: a message that changes the
// scene ends with a preview image in the conversation (kept after a reload), and a render shows its
// first look while it runs, replaced in place by the finished image. Screenshots go to
// test-artifacts/web-ui/.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, startServeProcess } from "./support/serve-process.ts";

const SHOTS = fileURLToPath(new URL("../../../test-artifacts/web-ui/", import.meta.url));
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];

let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  serve = await startServeProcess();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

async function send(page: Page, text: string) {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

/** The pixel at the middle of an image element, as the page decoded it. */
async function centerPixel(page: Page, selector: string): Promise<[number, number, number]> {
  return page.locator(selector).evaluate((image: HTMLImageElement) => {
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context?.drawImage(image, 0, 0);
    const [r, g, b] = context?.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1).data ?? [];
    return [r ?? 0, g ?? 0, b ?? 0] as [number, number, number];
  });
}

describe("web UI previews", () => {
  it("shows a preview after a change, and a render's first look until the render replaces it", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await page.goto(serve.url);
    await page.getByLabel("API token").fill(serve.signInToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel("New project name").fill("Preview");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.locator(".chat-empty").waitFor();

    // A change without a render: the turn ends with a labelled preview of the red cube.
    await send(page, "Add a red cube");
    const preview = page.locator(".message.assistant:not(.live) .render.preview img");
    await preview.waitFor({ timeout: 120_000 });
    await expect.poll(() => preview.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth)).toBe(480);
    expect(await preview.evaluate((image: HTMLImageElement) => image.naturalHeight)).toBe(270);
    const [r, g, b] = await centerPixel(page, ".message.assistant:not(.live) .render.preview img");
    expect(r).toBeGreaterThan(70);
    expect(r).toBeGreaterThan(2 * g);
    expect(r).toBeGreaterThan(2 * b);
    expect(await page.locator(".message.assistant:not(.live) .render.preview .render-label").textContent()).toBe("Preview");
    await page.locator(".message.assistant:not(.live) details.steps summary").click();
    await expect.poll(() => page.locator(".message.assistant:not(.live) .step-name").allTextContents()).toEqual(["Add object", "Preview"]);
    await page.screenshot({ path: `${SHOTS}preview-01-after-change.png` });

    // A render: its first look shows while it runs, then the finished render takes its place.
    await send(page, "render the scene with cycles at 640x360 with 64 samples");
    const partial = page.locator(".message.live .render-partial img");
    await partial.waitFor({ timeout: 120_000 });
    expect(await partial.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    expect(await page.locator(".message.live .render-partial .render-label").textContent()).toMatch(/^Rendering…/);
    await page.screenshot({ path: `${SHOTS}preview-02-first-look.png` });
    // Cycles renders in passes: the image is replaced by the samples so far, and says how many.
    await expect
      .poll(() => page.locator(".message.live .render-partial .render-label").textContent(), { timeout: 120_000 })
      .toMatch(/^Rendering… \d+ of 64 samples$/);
    await page.screenshot({ path: `${SHOTS}preview-03-passes.png` });
    const finished = page.locator(".message.assistant:not(.live)").last().locator(".render img");
    await expect.poll(() => page.locator(".message.assistant:not(.live)").count(), { timeout: 180_000 }).toBe(2);
    await finished.waitFor();
    expect(await page.locator(".render-partial").count()).toBe(0);
    expect(await page.locator(".message.assistant:not(.live)").last().locator(".render.preview").count()).toBe(0);
    await expect.poll(() => finished.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth)).toBe(640);
    // The gallery lists the render; the preview stays in the conversation.
    await expect.poll(() => page.locator(".gallery .thumb img").count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}preview-04-rendered.png` });

    // Stored as such: after a reload the first turn still shows its preview, the second its render.
    await page.reload();
    await page.locator(".message.assistant .render img").nth(1).waitFor({ timeout: 30_000 });
    expect(await page.locator(".message.assistant .render.preview").count()).toBe(1);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
