"""Plain-Blender side of `bod bench worker`: the same work the worker does, done in a bare
`blender -b` with no worker, no pipes and no MCP, so the benchmark can subtract Blender's own time.

Usage: blender -b --factory-startup [scene.blend] --python bench_plain.py -- MODE OUT_JSON [ARGS...]
   or: python -I bench_plain.py [scene.blend] -- MODE OUT_JSON [ARGS...]   (Blender as the bpy module)
  calls  OUT_JSON COUNT [GAP_MS]            time the bridge's add_object and get_scene handlers, idle
                                            GAP_MS before each call as Blender is between a worker's calls
  render OUT_JSON ENGINE WIDTH HEIGHT SAMPLES PNG   render the opened .blend with these settings
  animation OUT_JSON ENGINE WIDTH HEIGHT SAMPLES MP4   render the opened .blend's frame range to an MP4
                                            as render_animation does; give Blender -a after the script
"""

import json
import os
import sys
import time

import bpy


def load_bridge():
    """The worker's bridge as a library: the same handlers and render settings, run in a plain Blender."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bod_bridge

    return bod_bridge


def time_calls(out_path, count, gap_ms):
    bod_bridge = load_bridge()
    bod_bridge.new_project_scene()
    commands = bod_bridge.COMMANDS
    timings = {"add_object": [], "get_scene": []}
    for index in range(count):
        time.sleep(gap_ms / 1000)
        started = time.perf_counter()
        commands["add_object"]({"type": "cube", "name": "Bench%d" % index, "location": [index % 10, index // 10, 0]})
        timings["add_object"].append((time.perf_counter() - started) * 1000)
        time.sleep(gap_ms / 1000)
        started = time.perf_counter()
        commands["get_scene"]({"limit": 10})
        timings["get_scene"].append((time.perf_counter() - started) * 1000)
    return timings


def time_render(engine, width, height, samples, png_path):
    load_bridge().apply_render_settings(bpy.context.scene, engine, width, height, samples, png_path)
    started = time.perf_counter()
    bpy.ops.render.render(write_still=True)
    return {"renderMs": (time.perf_counter() - started) * 1000}


def open_scene():
    """In the bpy module, what `blender -b --factory-startup [scene.blend]` would have opened."""
    if bpy.app.binary_path:
        return
    blend = sys.argv[1 : sys.argv.index("--")]
    if blend:
        bpy.ops.wm.open_mainfile(filepath=blend[0], load_ui=False)
    else:
        bpy.ops.wm.read_factory_settings(use_empty=False)


def time_animation(out_path, engine, width, height, samples, mp4_path):
    """Sets up the opened .blend to render its frame range to an H.264 MP4 as render_animation
    does. Blender's own -a, after this script on its command line, then renders it, and the
    render_complete handler writes the time from here to the end; the bpy module has no -a, so
    there this renders it itself (what -a runs: bpy.ops.render.render(animation=True))."""
    s = bpy.context.scene
    load_bridge().animation.apply_animation_output(s, "mp4", engine, width, height, samples, mp4_path)
    started = time.perf_counter()
    if not bpy.app.binary_path:
        bpy.ops.render.render(animation=True)
        return {"renderMs": (time.perf_counter() - started) * 1000}

    def finished(*_):
        with open(out_path, "w", encoding="utf-8") as handle:
            json.dump({"renderMs": (time.perf_counter() - started) * 1000}, handle)

    bpy.app.handlers.render_complete.append(finished)
    return None


def main():
    open_scene()
    args = sys.argv[sys.argv.index("--") + 1 :]
    mode, out_path = args[0], args[1]
    if mode == "calls":
        result = time_calls(out_path, int(args[2]), float(args[3]) if len(args) > 3 else 0.0)
    elif mode == "render":
        result = time_render(args[2], int(args[3]), int(args[4]), int(args[5]), args[6])
    elif mode == "animation":
        result = time_animation(out_path, args[2], int(args[3]), int(args[4]), int(args[5]), args[6])
        if result is None:
            # Blender renders after this script (-a); the render_complete handler writes the time.
            return
    else:
        raise SystemExit("unknown mode %s" % mode)
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


main()
