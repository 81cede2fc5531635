// The web UI in headless Chromium against `bod serve` with real Blender: sign in, create a project,
// send the red-cube message and watch the render appear, export a GLB and open it in the 3D
// viewer, then the same project on a phone-sized screen. Screenshots go to test-artifacts/web-ui/.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, startServeProcess } from "./support/serve-process.ts";

const SHOTS = fileURLToPath(new URL("../../../test-artifacts/web-ui/", import.meta.url));
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

let serve: ServeProcess;
let browser: Browser;
let projectUrl: string;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  serve = await startServeProcess();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
}

async function signIn(page: Page) {
  await page.goto(serve.url);
  await page.getByLabel("API token").fill(serve.signInToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".shell").waitFor();
}

describe("web UI", () => {
  it("signs in, chats, shows the render inline and in the gallery, and opens the GLB in 3D", async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    const consoleErrors: string[] = [];
    await page.goto(serve.url);
    await page.getByLabel("API token").fill("bod_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator(".form-error").textContent()).toContain("not valid");
    await shot(page, "01-sign-in-error");
    // From here on the page must not log a single error.
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await signIn(page);
    await expect.poll(() => page.locator(".list-state").textContent()).toContain("No projects yet");
    await shot(page, "02-no-projects");

    await page.getByLabel("New project name").fill("Red cube");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.locator(".chat-empty").waitFor();
    await expect.poll(() => page.locator("#badge").textContent()).toContain("asleep");
    await shot(page, "03-empty-project");
    projectUrl = page.url();

    await page.getByLabel("Message").fill("Add a red cube and render the scene");
    await page.getByLabel("Message").press("Enter");
    // Blender wakes while the turn streams: the badge and the live timeline say so.
    await page.locator(".message.live .step").first().waitFor();
    await expect.poll(() => page.locator("#badge").textContent(), { timeout: 30_000 }).toMatch(/Waking|working|ready/);
    await page.locator(".message.live .step-name", { hasText: "Render" }).waitFor({ timeout: 30_000 });
    await shot(page, "04-turn-streaming");
    const image = page.locator(".message.assistant .render img").first();
    await image.waitFor({ timeout: 90_000 });
    await expect
      .poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth), { timeout: 10_000 })
      .toBe(960);
    await expect.poll(() => page.locator(".message.assistant .reply").last().textContent()).toContain("red cube");
    await expect.poll(() => page.locator("#badge").textContent(), { timeout: 10_000 }).toContain("sleeps in");
    expect(await page.locator(".gallery .thumb img").count()).toBe(1);
    await shot(page, "05-render-inline");

    await page.getByLabel("Message").fill("Export the scene as GLB");
    await page.getByLabel("Message").press("Enter");
    const viewButton = page.locator(".message.assistant .export-card button", { hasText: "View in 3D" }).last();
    await viewButton.waitFor({ timeout: 60_000 });
    await shot(page, "06-export-card");
    await viewButton.click();
    const viewer = page.locator("dialog.viewer model-viewer");
    await viewer.waitFor();
    await expect
      .poll(() => viewer.evaluate((element) => (element as HTMLElement & { loaded: boolean }).loaded), { timeout: 30_000 })
      .toBe(true);
    await page.waitForTimeout(1500);
    await shot(page, "07-glb-viewer");
    await page.getByRole("button", { name: "Close" }).click();

    // A long render, stopped from the composer: the turn ends as cancelled and says so.
    const beforeStop = await page.locator(".message.assistant").count();
    await page.getByLabel("Message").fill("Render the scene in cycles at 1920x1080 with 256 samples");
    await page.getByLabel("Message").press("Enter");
    await page.locator(".message.live .step.running .step-name", { hasText: "Render" }).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Stop" }).click();
    await expect.poll(() => page.locator(".message.assistant:not(.live)").count(), { timeout: 60_000 }).toBe(beforeStop + 1);
    expect(await page.locator(".message.assistant .reply").last().textContent()).toMatch(/Cancel/);
    await shot(page, "08-cancelled");

    // A message the planner cannot read: it says so and starts nothing.
    const replies = await page.locator(".message.assistant").count();
    await page.getByLabel("Message").fill("Sing me a song about the sea");
    await page.getByLabel("Message").press("Enter");
    await expect.poll(() => page.locator(".message.assistant:not(.live)").count(), { timeout: 30_000 }).toBe(replies + 1);
    expect(await page.locator(".message.assistant").last().locator(".steps").count()).toBe(0);
    await shot(page, "09-cannot-read");
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("works on a phone-sized screen", async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await signIn(page);
    await page.locator(".project-item").first().waitFor();
    await shot(page, "10-phone-projects");
    await page.goto(projectUrl);
    await page.locator(".message.assistant .render img").first().waitFor();
    await page.waitForTimeout(500);
    // Nothing is wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, "11-phone-chat");
    await page.getByRole("tab", { name: /Gallery/ }).click();
    await page.locator(".gallery .thumb img").first().waitFor();
    await shot(page, "12-phone-gallery");
    await page.locator(".gallery .export-card button", { hasText: "View in 3D" }).first().click();
    const viewer = page.locator("dialog.viewer model-viewer");
    await expect
      .poll(() => viewer.evaluate((element) => (element as HTMLElement & { loaded: boolean }).loaded), { timeout: 30_000 })
      .toBe(true);
    await page.waitForTimeout(1500);
    await shot(page, "13-phone-viewer");
    await context.close();
  });

  it("follows a dark system theme", async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, colorScheme: "dark" });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(projectUrl);
    await page.locator(".message.assistant .render img").first().waitFor();
    await page.waitForTimeout(500);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(15, 18, 24)");
    await shot(page, "14-dark");
    await context.close();
  });
});
