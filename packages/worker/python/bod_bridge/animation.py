"""Animation: keyframes (insert_keyframe, delete_keyframes), the timeline (set_timeline), and
render_animation, which renders the frame range to an H.264 MP4, to PNG frames zipped, or to PNG
frames the worker assembles into a GIF. What each property is in Blender, and how get_scene reads
what is animated, live in animation_channels."""

import math
import os
import time
import zipfile

import bpy

from .animation_channels import (
    allowed_properties,
    channels,
    check_allowed,
    describe_animation,
    describe_timeline,
    fcurves_of,
    frame_number,
    keyed_frames,
)
from .channel import BridgeError, send_progress
from .common import find_object, linear_to_hex, radians, rounded, scene
from .compat import action_fcurves, set_output_format
from .registry import command
from .render import AppHandlers, apply_render_settings, resolve_render_settings, restore_render_state, save_render_state

INTERPOLATION_IDS = {"linear": "LINEAR", "bezier": "BEZIER", "constant": "CONSTANT"}


def refresh_current_frame():
    """Re-evaluates the animation at the current frame, so every animated property reads as the
    frame shows it (a keyframe just set elsewhere on the timeline does not linger)."""
    s = scene()
    s.frame_set(s.frame_current)


# ---------------------------------------------------------------------------------------------


def set_value(obj, prop, value, struct_list):
    if prop == "location":
        obj.location = [float(v) for v in value]
    elif prop == "rotation":
        if obj.rotation_mode in ("QUATERNION", "AXIS_ANGLE"):
            # Keys go on the Euler angles; Blender converts the current rotation when the mode changes.
            obj.rotation_mode = "XYZ"
        obj.rotation_euler = radians(value)
    elif prop == "scale":
        obj.scale = [float(v) for v in value]
    elif prop == "color":
        rgb = [float(c) for c in value[:3]]
        for struct, name in struct_list:
            current = list(getattr(struct, name))
            # Keep alpha where the color has one (a material's alpha is set_material's).
            setattr(struct, name, rgb + current[3:])
    else:
        struct, name = struct_list[0]
        setattr(struct, name, float(value))


def read_value(obj, prop, struct_list):
    """The keyed value as tools report it: [x, y, z], degrees for rotation, #rrggbb, or a number."""
    if prop == "location":
        return rounded(obj.location)
    if prop == "rotation":
        return [round(math.degrees(a), 4) for a in obj.rotation_euler]
    if prop == "scale":
        return rounded(obj.scale)
    struct, name = struct_list[0]
    if prop == "color":
        return linear_to_hex(getattr(struct, name))
    return round(float(getattr(struct, name)), 6)


@command("insert_keyframe")
def insert_keyframe(args):
    obj = find_object(args["object"])
    prop = args["property"]
    check_allowed(obj, prop)
    frame = int(args["frame"])
    interpolation = args.get("interpolation") or "bezier"
    struct_list = channels(obj, prop, create=True)
    value = args.get("value")
    if value is not None:
        if prop == "scale" and isinstance(value, (int, float)):
            value = [value, value, value]
        set_value(obj, prop, value, struct_list)
    reported = read_value(obj, prop, struct_list)
    for struct, name in struct_list:
        struct.keyframe_insert(name, frame=frame)
        for curve in fcurves_of(struct, name):
            for point in curve.keyframe_points:
                if abs(point.co[0] - frame) < 0.5:
                    point.interpolation = INTERPOLATION_IDS[interpolation]
            curve.update()
    refresh_current_frame()
    return {
        "object": obj.name,
        "property": prop,
        "frame": frame,
        "value": reported,
        "interpolation": interpolation,
        "frames": keyed_frames(obj, prop),
    }


def remove_action_if_empty(owner):
    data = owner.animation_data
    curves = action_fcurves(owner)
    if data is None or data.action is None or (curves is not None and len(curves) > 0) or len(data.drivers) > 0:
        return
    action = data.action
    owner.animation_data_clear()
    if action.users == 0:
        bpy.data.actions.remove(action)


@command("delete_keyframes")
def delete_keyframes(args):
    obj = find_object(args["object"])
    prop = args.get("property")
    if prop is not None:
        check_allowed(obj, prop)
    frame = args.get("frame")
    deleted = 0
    for name_of_prop in [prop] if prop is not None else allowed_properties(obj):
        removed_frames = set()
        owners = []
        for struct, name in channels(obj, name_of_prop, create=False):
            curves = action_fcurves(struct.id_data)
            for curve in fcurves_of(struct, name):
                points = curve.keyframe_points
                if frame is None:
                    removed_frames.update(frame_number(point.co[0]) for point in points)
                    curves.remove(curve)
                else:
                    for index in reversed(range(len(points))):
                        if abs(points[index].co[0] - frame) < 0.5:
                            removed_frames.add(frame_number(points[index].co[0]))
                            points.remove(points[index])
                    if len(points) == 0:
                        curves.remove(curve)
                    else:
                        curve.update()
            owners.append(struct.id_data)
        for owner in owners:
            remove_action_if_empty(owner)
        deleted += len(removed_frames)
    return {"object": obj.name, "deleted": deleted, "animation": describe_animation(obj)}


def set_frame_range(s, start, end):
    """Sets the range in the order that keeps Blender from moving one end to meet the other."""
    if start > s.frame_end:
        s.frame_end = end
        s.frame_start = start
    else:
        s.frame_start = start
        s.frame_end = end


@command("set_timeline")
def set_timeline(args):
    s = scene()
    start = int(args["frameStart"]) if args.get("frameStart") is not None else int(s.frame_start)
    end = int(args["frameEnd"]) if args.get("frameEnd") is not None else int(s.frame_end)
    if end < start:
        raise BridgeError(
            "invalid_arguments",
            "frameEnd (%d) must be at or after frameStart (%d); the timeline runs %d..%d now." % (end, start, s.frame_start, s.frame_end),
        )
    set_frame_range(s, start, end)
    fps = args.get("fps")
    if fps is not None:
        # Blender keeps a whole rate and a divisor: 29.97 is 30 / 1.001.
        whole = max(1, math.ceil(float(fps) - 1e-9))
        s.render.fps = whole
        s.render.fps_base = whole / float(fps)
    if args.get("frameCurrent") is not None:
        s.frame_set(int(args["frameCurrent"]))
    return {"timeline": describe_timeline()}


# ---------------------------------------------------------------------------------------------
# render_animation

#: What render_animation changes on the scene beyond what render_frame does (render.py's
#: save_render_state), put back after it: the output's format and its video settings.
SAVED_OUTPUT_SETTINGS = (
    ("render", ("use_file_extension",)),
    ("image_settings", ("file_format", "color_mode")),
    ("ffmpeg", ("format", "codec", "constant_rate_factor", "ffmpeg_preset", "audio_codec")),
)


def output_struct(s, name):
    if name == "render":
        return s.render
    if name == "image_settings":
        return s.render.image_settings
    return s.render.ffmpeg


def save_settings(s):
    saved = []
    for name, attributes in SAVED_OUTPUT_SETTINGS:
        struct = output_struct(s, name)
        for attribute in attributes:
            saved.append((struct, attribute, getattr(struct, attribute)))
    return {
        "render": save_render_state(s),
        "output": saved,
        "media_type": getattr(s.render.image_settings, "media_type", None),
        "range": (int(s.frame_start), int(s.frame_end)),
    }


def restore_settings(s, saved):
    # The file format goes back first: a video format takes no alpha, and render_frame's own
    # state (restored next) may hold an RGBA color mode.
    if saved["media_type"] is not None:
        s.render.image_settings.media_type = saved["media_type"]
    for struct, attribute, value in saved["output"]:
        if attribute == "file_format":
            struct.file_format = value
    restore_render_state(s, saved["render"])
    for struct, attribute, value in saved["output"]:
        try:
            setattr(struct, attribute, value)
        except (TypeError, ValueError):
            # A setting that cannot take its old value back here (an enum the output format
            # restricts) stays as the render left it rather than failing a finished render.
            pass
    set_frame_range(s, *saved["range"])


def apply_animation_output(s, fmt, engine, width, height, samples, output):
    """Sets up scene `s` to render its frame range as render_animation does: an H.264 MP4 at
    `output` (mp4), or PNG frames numbered frame_0001.png... in the folder `output` (gif,
    png_sequence). Also what `bod bench worker` sets before plain Blender's -a renders."""
    if fmt == "mp4":
        apply_render_settings(s, engine, width, height, samples, output)
        set_output_format(s.render.image_settings, "FFMPEG")
        s.render.image_settings.color_mode = "RGB"
        ffmpeg = s.render.ffmpeg
        ffmpeg.format = "MPEG4"
        ffmpeg.codec = "H264"
        # Constant quality (x264's CRF 23) at its medium speed: what a player expects of a preview.
        ffmpeg.constant_rate_factor = "MEDIUM"
        ffmpeg.ffmpeg_preset = "GOOD"
        ffmpeg.audio_codec = "NONE"
    else:
        apply_render_settings(s, engine, width, height, samples, os.path.join(output, "frame_####"))
        set_output_format(s.render.image_settings, "PNG")
        s.render.use_file_extension = True


class FrameWatch(AppHandlers):
    """Progress per frame written, and whether the render was cancelled (SIGINT from the worker)."""

    def __init__(self, request_id, total):
        self.request_id = request_id
        self.total = total
        self.done = 0
        self.cancelled = False
        self.handlers = [("render_write", self.on_write), ("render_cancel", self.on_cancel)]

    def __enter__(self):
        super().__enter__()
        send_progress(self.request_id, 0, self.total, "frame 0 of %d" % self.total)
        return self

    def on_write(self, s, *_):
        self.done += 1
        send_progress(self.request_id, self.done, self.total, "frame %d of %d (frame number %d)" % (self.done, self.total, s.frame_current))

    def on_cancel(self, *_):
        self.cancelled = True


@command("render_animation", progress=True)
def render_animation(args, request_id):
    s = scene()
    fmt = args["format"]
    if fmt not in ("mp4", "gif", "png_sequence"):
        raise BridgeError("invalid_arguments", "format must be mp4, gif or png_sequence.")
    if s.camera is None:
        raise BridgeError("invalid_arguments", "The scene has no camera; add one with set_camera first.")
    start = int(args["frameStart"]) if args.get("frameStart") is not None else int(s.frame_start)
    end = int(args["frameEnd"]) if args.get("frameEnd") is not None else int(s.frame_end)
    if end < start:
        raise BridgeError("invalid_arguments", "frameEnd (%d) must be at or after frameStart (%d)." % (end, start))
    total = end - start + 1
    max_frames = int(args.get("maxFrames") or 1000)
    if total > max_frames:
        raise BridgeError(
            "invalid_arguments",
            "Frames %d..%d are %d frames; render_animation renders at most %d. Give frameStart and frameEnd, or shorten the timeline with set_timeline."
            % (start, end, total, max_frames),
        )
    # The preset's settings (preview, the scene's own for final, else render_frame's defaults),
    # with the fields given beside it winning: as render_frame resolves them.
    settings = resolve_render_settings(s, args)
    engine, width, height, samples = settings["engine"], settings["width"], settings["height"], settings["samples"]
    if fmt == "mp4" and (width % 2 or height % 2):
        raise BridgeError("invalid_arguments", "H.264 video needs an even width and height; this render would be %dx%d." % (width, height))
    output = args.get("output")
    frames_dir = args.get("framesDir")
    for path in (output, frames_dir):
        if path is not None and "#" in path:
            # Blender would read # as a frame-number placeholder and write elsewhere.
            raise BridgeError("invalid_arguments", "Output paths cannot contain #.")
    if fmt == "mp4" and not output:
        raise BridgeError("invalid_arguments", "mp4 needs an output path.")
    if fmt != "mp4" and not frames_dir:
        raise BridgeError("invalid_arguments", "%s needs a folder for the frames." % fmt)
    if fmt == "png_sequence" and not output:
        raise BridgeError("invalid_arguments", "png_sequence needs an output path for the zip.")
    saved = save_settings(s)
    try:
        if fmt == "mp4":
            os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
            apply_animation_output(s, fmt, engine, width, height, samples, output)
        else:
            os.makedirs(frames_dir, exist_ok=True)
            apply_animation_output(s, fmt, engine, width, height, samples, frames_dir)
        set_frame_range(s, start, end)
        started = time.monotonic()
        with FrameWatch(request_id, total) as watch:
            try:
                bpy.ops.render.render(animation=True)
            except RuntimeError as error:
                raise BridgeError("internal", "Blender could not render the animation: %s" % str(error).strip()[:500])
        if watch.cancelled:
            raise BridgeError("cancelled", "The animation render was cancelled.")
        result = {
            "format": fmt,
            **({"preset": args["preset"]} if args.get("preset") is not None else {}),
            "engine": engine,
            "width": width,
            "height": height,
            "samples": samples,
            "frameStart": start,
            "frameEnd": end,
            "frames": total,
            "fps": round(s.render.fps / s.render.fps_base, 3),
        }
        if fmt == "mp4":
            if not os.path.exists(output):
                raise BridgeError("internal", "Blender finished the animation but wrote no video.")
        else:
            files = [s.render.frame_path(frame=frame) for frame in range(start, end + 1)]
            missing = [path for path in files if not os.path.exists(path)]
            if missing:
                raise BridgeError("internal", "Blender finished the animation but wrote no %s." % os.path.basename(missing[0]))
            if fmt == "png_sequence":
                with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as archive:
                    for path in files:
                        # PNG is compressed already: storing is as small and far quicker.
                        archive.write(path, os.path.basename(path))
                        os.remove(path)
            else:
                result["frameFiles"] = files
        result["renderMs"] = round((time.monotonic() - started) * 1000, 1)
        return result
    except BridgeError:
        if fmt == "mp4" and output and os.path.exists(output):
            os.remove(output)
        raise
    finally:
        restore_settings(s, saved)
