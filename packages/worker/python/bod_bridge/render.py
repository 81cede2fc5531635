"""Rendering a frame to PNG, with progress and cancellation."""

import os
import time

import bpy

from .channel import BridgeError, send_progress
from .common import DEFAULT_RENDER, ENGINE_IDS, scene
from .registry import command

class RenderWatch:
    """Turns Blender's render handlers into progress events; some fire on the render thread."""

    def __init__(self, request_id, total):
        self.request_id = request_id
        self.total = total
        self.cancelled = False
        self.updates = 0
        self.last_sent = 0.0
        self.handlers = [
            ("render_pre", self.on_pre),
            ("render_stats", self.on_stats),
            ("render_post", self.on_post),
            ("render_cancel", self.on_cancel),
        ]

    def __enter__(self):
        for name, handler in self.handlers:
            getattr(bpy.app.handlers, name).append(handler)
        return self

    def __exit__(self, *exc):
        for name, handler in self.handlers:
            handlers = getattr(bpy.app.handlers, name)
            if handler in handlers:
                handlers.remove(handler)
        return False

    def on_pre(self, *_):
        send_progress(self.request_id, 0, self.total, "rendering")

    def on_stats(self, *_):
        # Blender 3.4 passes no stats text here; the worker reads sample counts from the log.
        now = time.monotonic()
        self.updates += 1
        if now - self.last_sent >= 0.25:
            self.last_sent = now
            send_progress(self.request_id, 0, self.total, "rendering")

    def on_post(self, *_):
        send_progress(self.request_id, self.total, self.total, "rendered")

    def on_cancel(self, *_):
        self.cancelled = True


def apply_render_settings(s, engine, width, height, samples, output):
    """Sets up scene `s` to render one PNG to `output` (also what `bod bench worker` renders plain Blender with)."""
    s.render.engine = ENGINE_IDS[engine]
    s.render.resolution_x = width
    s.render.resolution_y = height
    s.render.resolution_percentage = 100
    s.render.image_settings.file_format = "PNG"
    s.render.filepath = output
    if engine == "cycles":
        s.cycles.samples = samples
        s.cycles.device = "CPU"
        s.cycles.use_denoising = False
    elif engine == "eevee":
        s.eevee.taa_render_samples = samples
    else:
        # Workbench takes an anti-aliasing level, not a sample count: FXAA, 5, 8, 11, 16 or 32.
        aa_levels = ["5", "8", "11", "16", "32"]
        s.display.render_aa = "FXAA" if samples <= 1 else next((level for level in aa_levels if int(level) >= samples), "32")


@command("render_frame", progress=True)
def render_frame(args, request_id):
    s = scene()
    engine = args.get("engine") or DEFAULT_RENDER["engine"]
    width = int(args.get("width") or DEFAULT_RENDER["width"])
    height = int(args.get("height") or DEFAULT_RENDER["height"])
    samples = int(args.get("samples") or DEFAULT_RENDER["samples"])
    output = args["output"]
    if "#" in output:
        # Blender would read # as a frame-number placeholder and write elsewhere.
        raise BridgeError("invalid_arguments", "The render output path cannot contain #.")
    if s.camera is None:
        raise BridgeError("invalid_arguments", "The scene has no camera; add one with set_camera first.")
    saved = {
        "engine": s.render.engine,
        "x": s.render.resolution_x,
        "y": s.render.resolution_y,
        "percentage": s.render.resolution_percentage,
        "eevee": s.eevee.taa_render_samples,
        "cycles": s.cycles.samples,
        "aa": s.display.render_aa,
        "filepath": s.render.filepath,
    }
    try:
        apply_render_settings(s, engine, width, height, samples, output)
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        started = time.monotonic()
        with RenderWatch(request_id, samples) as watch:
            bpy.ops.render.render(write_still=True)
        render_ms = (time.monotonic() - started) * 1000
        if watch.cancelled:
            raise BridgeError("cancelled", "The render was cancelled.")
        if not os.path.exists(output):
            raise BridgeError("internal", "Blender finished the render but wrote no image.")
        return {"engine": engine, "width": width, "height": height, "samples": samples, "renderMs": round(render_ms, 1)}
    finally:
        s.render.engine = saved["engine"]
        s.render.resolution_x = saved["x"]
        s.render.resolution_y = saved["y"]
        s.render.resolution_percentage = saved["percentage"]
        s.eevee.taa_render_samples = saved["eevee"]
        s.cycles.samples = saved["cycles"]
        s.display.render_aa = saved["aa"]
        s.render.filepath = saved["filepath"]
