"""Rendering a frame to PNG, with presets, progress, a first look while it runs, and cancellation."""

import os
import sys
import time

import bpy

from .channel import BridgeError, send, send_progress
from .common import DEFAULT_RENDER, scene
from .compat import gl_available, render_engine_id, scene_composites, set_output_format
from .describe import describe_render
from .registry import command

#: What the `preview` preset renders (the contracts' PREVIEW_RENDER): Workbench in studio light with
#: the objects' own colors and shadows, about 0.15 s warm where EEVEE takes 2 s or more here.
PREVIEW_RENDER = {"engine": "workbench", "width": 480, "height": 270, "samples": 1}

#: Widest first look sent while an eevee or cycles render runs: it travels inline with a progress
#: notification, so it stays small (a 480x270 PNG is some tens of KB).
FIRST_LOOK_MAX_WIDTH = 480

#: A Cycles render a caller watches is rendered in passes of samples (each starting where the last
#: ended, so together they are the same samples as one render) when it has at least this many
#: samples: the average so far goes out as an image after each pass.
PROGRESSIVE_MIN_SAMPLES = 16
#: Largest frame rendered in passes (pixels): the passes are summed in memory as 32-bit floats.
PROGRESSIVE_MAX_PIXELS = 4096 * 2160
#: The first pass has 1/16 of the samples; each next one doubles, but takes at most about this long
#: (seconds), so a long render still shows something new every half minute or so.
PROGRESSIVE_MAX_PASS_SECONDS = 30.0
#: When the rest of a render would take less than this (seconds, from the passes so far), it is one
#: last pass: another image would hardly be seen, and each pass sets the scene up again.
PROGRESSIVE_FINISH_SECONDS = 3.0

#: Workbench anti-aliasing levels by sample count: FXAA, 5, 8, 11, 16 or 32.
WORKBENCH_AA_LEVELS = ["5", "8", "11", "16", "32"]


class AppHandlers:
    """Blender app handlers attached for the length of a with block: `handlers` lists
    (bpy.app.handlers list name, function) pairs; all are removed again on leaving it."""

    handlers = ()

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


class RenderWatch(AppHandlers):
    """Turns Blender's render handlers into progress events; some fire on the render thread.

    While `quiet` (the first look renders) it only listens for a cancel: its start and end are not
    the render's."""

    def __init__(self, request_id, total):
        self.request_id = request_id
        self.total = total
        self.cancelled = False
        self.quiet = False
        self.updates = 0
        self.last_sent = 0.0
        self.handlers = [
            ("render_pre", self.on_pre),
            ("render_stats", self.on_stats),
            ("render_post", self.on_post),
            ("render_cancel", self.on_cancel),
        ]

    def on_pre(self, *_):
        if not self.quiet:
            send_progress(self.request_id, 0, self.total, "rendering")

    def on_stats(self, *_):
        # Blender 3.4 passes no stats text here; the worker reads sample counts from the log.
        if self.quiet:
            return
        now = time.monotonic()
        self.updates += 1
        if now - self.last_sent >= 0.25:
            self.last_sent = now
            send_progress(self.request_id, 0, self.total, "rendering")

    def on_post(self, *_):
        if not self.quiet:
            send_progress(self.request_id, self.total, self.total, "rendered")

    def on_cancel(self, *_):
        self.cancelled = True


def resolve_render_settings(s, args):
    """engine, width, height and samples of a render_frame call: the preset's (or the defaults when
    there is none), with the fields given beside it winning."""
    preset = args.get("preset")
    if preset == "preview":
        settings = dict(PREVIEW_RENDER)
    elif preset == "final":
        # The scene's own engine, size and samples, as get_scene shows them.
        settings = dict(describe_render())
    elif preset is None:
        settings = dict(DEFAULT_RENDER)
    else:
        raise BridgeError("invalid_arguments", "preset must be one of: preview, final.")
    for key in ("engine", "width", "height", "samples"):
        if args.get(key) is not None:
            settings[key] = args[key]
    settings["width"] = int(settings["width"])
    settings["height"] = int(settings["height"])
    settings["samples"] = int(settings["samples"])
    return settings


def world_viewport_color(s):
    """The color Workbench should show behind the scene: the world's plain background color (what
    EEVEE and Cycles show), or its viewport color when an image or sky lights it."""
    world = s.world
    if world is None:
        return None
    if world.use_nodes and world.node_tree is not None:
        node = next((n for n in world.node_tree.nodes if n.type == "BACKGROUND"), None)
        color = node.inputs.get("Color") if node is not None else None
        if color is not None and not color.is_linked:
            return tuple(color.default_value)[:3]
    return tuple(world.color)


def apply_render_settings(s, engine, width, height, samples, output):
    """Sets up scene `s` to render one PNG to `output` (also what `bod bench worker` renders plain Blender with)."""
    s.render.engine = render_engine_id(engine)
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
        apply_workbench_look(s, samples)


def apply_workbench_look(s, samples):
    """Workbench as a quick stand-in for the real render: studio light, each object's own material
    color, shadows, and the world's color behind; samples pick the anti-aliasing level."""
    shading = s.display.shading
    shading.light = "STUDIO"
    shading.color_type = "MATERIAL"
    shading.show_shadows = True
    shading.show_cavity = False
    color = world_viewport_color(s)
    if color is not None:
        s.world.color = color
    # Workbench takes an anti-aliasing level, not a sample count.
    s.display.render_aa = "FXAA" if samples <= 1 else next((level for level in WORKBENCH_AA_LEVELS if int(level) >= samples), "32")


def save_render_state(s):
    """Everything render_frame changes on the scene, to put back afterwards."""
    shading = s.display.shading
    return {
        "engine": s.render.engine,
        "x": s.render.resolution_x,
        "y": s.render.resolution_y,
        "percentage": s.render.resolution_percentage,
        "eevee": s.eevee.taa_render_samples,
        "cycles": s.cycles.samples,
        "aa": s.display.render_aa,
        "filepath": s.render.filepath,
        "sample_offset": getattr(s.cycles, "sample_offset", 0),
        "adaptive": s.cycles.use_adaptive_sampling,
        "file_format": s.render.image_settings.file_format,
        "color_depth": s.render.image_settings.color_depth,
        "dither": s.render.dither_intensity,
        "color_mode": s.render.image_settings.color_mode,
        "light": shading.light,
        "color_type": shading.color_type,
        "shadows": shading.show_shadows,
        "cavity": shading.show_cavity,
        "world_color": tuple(s.world.color) if s.world is not None else None,
    }


def restore_render_state(s, saved):
    shading = s.display.shading
    s.render.engine = saved["engine"]
    s.render.resolution_x = saved["x"]
    s.render.resolution_y = saved["y"]
    s.render.resolution_percentage = saved["percentage"]
    s.eevee.taa_render_samples = saved["eevee"]
    s.cycles.samples = saved["cycles"]
    s.display.render_aa = saved["aa"]
    s.render.filepath = saved["filepath"]
    if hasattr(s.cycles, "sample_offset"):
        s.cycles.sample_offset = saved["sample_offset"]
    s.cycles.use_adaptive_sampling = saved["adaptive"]
    set_output_format(s.render.image_settings, saved["file_format"])
    s.render.image_settings.color_depth = saved["color_depth"]
    s.render.dither_intensity = saved["dither"]
    s.render.image_settings.color_mode = saved["color_mode"]
    shading.light = saved["light"]
    shading.color_type = saved["color_type"]
    shading.show_shadows = saved["shadows"]
    shading.show_cavity = saved["cavity"]
    if saved["world_color"] is not None and s.world is not None:
        s.world.color = saved["world_color"]


def render_first_look(s, request_id, settings, path, watch):
    """Renders a quick Workbench image of the frame to `path` (at most FIRST_LOOK_MAX_WIDTH wide) and
    tells the worker, which sends it with a progress notification. Blender keeps the pixels of a
    render in progress to itself when it runs without a window (the Render Result has no image
    until the render ends, for whole frames and tiles alike), so this is what can be shown early."""
    width, height = settings["width"], settings["height"]
    percentage = min(100, max(1, (FIRST_LOOK_MAX_WIDTH * 100) // width))
    apply_render_settings(s, "workbench", width, height, 1, path)
    s.render.resolution_percentage = percentage
    # Without dither noise and alpha the PNG is about a sixth of the size (some 20 KB at 480x270),
    # which matters for an image that travels inline with a notification.
    s.render.dither_intensity = 0.0
    s.render.image_settings.color_mode = "RGB"
    started = time.monotonic()
    watch.quiet = True
    try:
        bpy.ops.render.render(write_still=True)
    finally:
        watch.quiet = False
    if watch.cancelled or not os.path.exists(path):
        return
    send(
        {
            "event": "progress",
            "id": request_id,
            "progress": 0,
            "total": settings["samples"],
            "message": "first look",
            "image": {
                "path": path,
                "width": max(1, width * percentage // 100),
                "height": max(1, height * percentage // 100),
                "stage": "workbench",
                "ms": round((time.monotonic() - started) * 1000, 1),
            },
        }
    )


def renders_progressively(s, settings):
    """Whether a watched render goes in passes: Cycles with enough samples (and its sample offset,
    3.1 and later), a frame small enough to sum in memory, and no compositor that a pass would skip."""
    return (
        settings["engine"] == "cycles"
        and settings["samples"] >= PROGRESSIVE_MIN_SAMPLES
        and settings["width"] * settings["height"] <= PROGRESSIVE_MAX_PIXELS
        and hasattr(s.cycles, "sample_offset")
        and not scene_composites(s)
    )


def render_progressively(s, request_id, settings, output, partial_prefix, watch):
    """Renders a Cycles frame in passes of samples, sending the average so far (at most
    FIRST_LOOK_MAX_WIDTH wide) after each pass but the last, and writes the whole to `output`.

    Each pass renders the samples after the last one's (`sample_offset`), so together they are the
    samples of one render; adaptive sampling is off because it would stop each pass on its own noise.
    The passes are written as linear 32-bit EXR, summed weighted by their samples, and the result is
    saved through the scene's color management, as a render is. Returns False when cancelled."""
    import numpy

    width, height, total = settings["width"], settings["height"], settings["samples"]
    chunk = "%s.pass.exr" % partial_prefix
    pixels = numpy.empty(width * height * 4, dtype=numpy.float32)
    summed = numpy.zeros(width * height * 4, dtype=numpy.float32)
    done = 0
    size = max(1, total // 16)
    index = 0
    apply_render_settings(s, "cycles", width, height, total, chunk)
    s.cycles.use_adaptive_sampling = False
    set_output_format(s.render.image_settings, "OPEN_EXR")
    s.render.image_settings.color_depth = "32"
    watch.quiet = True
    image = None
    try:
        send_progress(request_id, 0, total, "sample 0 of %d" % total)
        while done < total:
            size = min(size, total - done)
            s.cycles.sample_offset = done
            s.cycles.samples = size
            started = time.monotonic()
            bpy.ops.render.render(write_still=True)
            seconds = time.monotonic() - started
            if watch.cancelled:
                return False
            loaded = bpy.data.images.load(chunk, check_existing=False)
            try:
                loaded.pixels.foreach_get(pixels)
            finally:
                bpy.data.images.remove(loaded)
            summed += pixels * size
            done += size
            send_progress(request_id, done, total, "sample %d of %d" % (done, total))
            if image is None:
                image = bpy.data.images.new("bod-render-passes", width, height, alpha=True, float_buffer=True)
            image.scale(width, height)
            image.pixels.foreach_set(summed / done)
            set_output_format(s.render.image_settings, "PNG")
            s.render.image_settings.color_depth = "8"
            if done < total:
                index += 1
                path = "%s.%d.png" % (partial_prefix, index)
                percentage = min(100, max(1, (FIRST_LOOK_MAX_WIDTH * 100) // width))
                small = (max(1, width * percentage // 100), max(1, height * percentage // 100))
                image.scale(*small)
                image.save_render(path, scene=s)
                send(
                    {
                        "event": "progress",
                        "id": request_id,
                        "progress": done,
                        "total": total,
                        "message": "sample %d of %d" % (done, total),
                        "image": {"path": path, "width": small[0], "height": small[1], "stage": "cycles", "samples": done, "ms": round(seconds * 1000, 1)},
                    }
                )
                set_output_format(s.render.image_settings, "OPEN_EXR")
                s.render.image_settings.color_depth = "32"
                per_sample = seconds / size
                if per_sample * (total - done) <= PROGRESSIVE_FINISH_SECONDS:
                    size = total - done
                else:
                    size = max(size, min(size * 2, int(PROGRESSIVE_MAX_PASS_SECONDS / per_sample)))
            else:
                image.save_render(output, scene=s)
        send_progress(request_id, total, total, "rendered")
        return True
    finally:
        watch.quiet = False
        if image is not None:
            bpy.data.images.remove(image)
        if os.path.exists(chunk):
            os.remove(chunk)


@command("render_frame", progress=True)
def render_frame(args, request_id):
    s = scene()
    settings = resolve_render_settings(s, args)
    engine, width, height, samples = settings["engine"], settings["width"], settings["height"], settings["samples"]
    output = args["output"]
    first_look = args.get("firstLookOutput")
    for path in (output, first_look):
        if path is not None and "#" in path:
            # Blender would read # as a frame-number placeholder and write elsewhere.
            raise BridgeError("invalid_arguments", "The render output path cannot contain #.")
    if s.camera is None:
        raise BridgeError("invalid_arguments", "The scene has no camera; add one with set_camera first.")
    saved = save_render_state(s)
    try:
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        first_look_ms = None
        with RenderWatch(request_id, samples) as watch:
            # Without OpenGL the first look (Workbench) cannot render; Cycles still can.
            if first_look is not None and engine != "workbench" and gl_available():
                started = time.monotonic()
                try:
                    render_first_look(s, request_id, settings, first_look, watch)
                    first_look_ms = (time.monotonic() - started) * 1000
                except Exception as error:  # noqa: BLE001 - a first look that fails must not cost the render
                    sys.stderr.write("bridge: the first look failed: %s\n" % error)
                    sys.stderr.flush()
                restore_render_state(s, saved)
            if not watch.cancelled and first_look is not None and renders_progressively(s, settings):
                restore_render_state(s, saved)
                started = time.monotonic()
                render_progressively(s, request_id, settings, output, first_look[: -len(".png")], watch)
                render_ms = (time.monotonic() - started) * 1000
            elif not watch.cancelled:
                apply_render_settings(s, engine, width, height, samples, output)
                started = time.monotonic()
                bpy.ops.render.render(write_still=True)
                render_ms = (time.monotonic() - started) * 1000
        if watch.cancelled:
            raise BridgeError("cancelled", "The render was cancelled.")
        if not os.path.exists(output):
            raise BridgeError("internal", "Blender finished the render but wrote no image.")
        result = {"engine": engine, "width": width, "height": height, "samples": samples, "renderMs": round(render_ms, 1)}
        if args.get("preset") is not None:
            result["preset"] = args["preset"]
        if first_look_ms is not None:
            result["firstLookMs"] = round(first_look_ms, 1)
        return result
    finally:
        restore_render_state(s, saved)
