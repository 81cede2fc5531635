"""The bridge that runs inside headless Blender and carries out scene commands for the worker.

Blender runs it through bridge.py (`blender -b --factory-startup --python bridge.py`), which
imports this package and calls main(); `bod bench worker` imports it to time the same handlers in
a plain Blender. It speaks the protocol of src/blender/bridge-protocol.ts: JSON, one message per
line, requests read from fd 3, responses and events written to fd 4 (or, for a Blender that
`bod serve` started ahead of its worker, the FIFOs BOD_BRIDGE_CHANNEL + "-requests" and
"-responses"). Blender's stdout and stderr stay for Blender's own logs.

It serves one command at a time in a blocking loop and never evaluates code it receives: every
command is a fixed function in one of the modules below, with arguments the worker has already
validated against the tool contracts.

  channel    the pipe to the worker, BridgeError
  registry   the command table (@command)
  common     constants and helpers: colors, rotations, finding and removing objects
  materials  the Principled BSDF material of each object
  describe   descriptions in the contracts' shapes, get_scene
  new_scene  the scene a new project starts with
  objects    primitives; add, update, duplicate, delete objects; set_material; clear_scene
  staging    lights, camera, world
  render     render_frame
  files      export and import
  control    ping, reset, snapshots
  script     run_script: a copy of the scene for the script sandbox, and taking the scene it saved
  animation  keyframes, the timeline, render_animation
  animation_channels  what each animatable property is in Blender; get_scene's view of animation
  textures   image maps of materials (set_texture, remove_texture), HDRI and sky worlds
  texture_nodes  the nodes those add, and how get_scene reads them
  hierarchy  parents, groups, collections
  modifiers  add, update and remove modifiers
  shapes     curves through points; extrusion and bevel of text and curves
  object_parts  how hierarchy, modifiers and shapes are read and written on an object
"""

import json
import os
import sys
import time
import traceback

import bpy

# Every command module registers its commands when imported.
from . import animation  # noqa: F401
from . import control, describe, files, objects, render, staging, textures  # noqa: F401
from . import hierarchy, modifiers, shapes  # noqa: F401
from . import script  # noqa: F401 - run_script: takes the scene a sandboxed Blender saved
from . import compat
from .channel import REQUEST_FD, RESPONSE_FD, BridgeError, attach, send
from .new_scene import new_project_scene
from .registry import COMMANDS, PROGRESS_COMMANDS
from .render import apply_render_settings

__all__ = ["COMMANDS", "apply_render_settings", "handle", "main", "new_project_scene"]


def handle(request):
    """Runs one command; the answer says how long Blender spent on it ("ms"), pipes excluded."""
    request_id = request.get("id")
    command = request.get("command")
    args = request.get("args") or {}
    started = time.perf_counter()
    try:
        if command in PROGRESS_COMMANDS:
            result = COMMANDS[command](args, request_id)
        elif command in COMMANDS:
            result = COMMANDS[command](args)
        else:
            raise BridgeError("invalid_arguments", "Unknown command %s." % command)
        answer = {"id": request_id, "ok": True, "result": result}
    except BridgeError as error:
        failure = {"code": error.code, "message": error.message}
        if error.data is not None:
            failure["data"] = error.data
        answer = {"id": request_id, "ok": False, "error": failure}
    except Exception as error:  # noqa: BLE001 - every failure must reach the worker as a response
        traceback.print_exc()
        answer = {
            "id": request_id,
            "ok": False,
            "error": {"code": "internal", "message": "%s: %s" % (type(error).__name__, str(error).strip()[:1000])},
        }
    answer["ms"] = round((time.perf_counter() - started) * 1000, 3)
    return answer


def end_with_parent():
    """Asks Linux to stop Blender if the worker dies, so no Blender outlives it (even mid-render)."""
    parent = os.getppid()
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def main():
    end_with_parent()
    try:
        channel = os.environ.get("BOD_BRIDGE_CHANNEL")
        if channel:
            # Started by `bod serve`'s launcher before the worker: the worker holds both FIFOs open
            # by now, so neither open waits.
            requests = open(channel + "-requests", "r", encoding="utf-8")
            attach(open(channel + "-responses", "w", encoding="utf-8"))
        else:
            requests = os.fdopen(REQUEST_FD, "r", encoding="utf-8")
            attach(os.fdopen(RESPONSE_FD, "w", encoding="utf-8"))
    except OSError:
        sys.stderr.write("The bridge needs the worker's pipes on fd 3 and fd 4; start it through the worker.\n")
        sys.stderr.flush()
        os._exit(3)
    # Blender's --factory-startup has loaded the factory scene already; the bpy module starts from
    # the user's startup file and preferences, if any, so it loads the factory settings here.
    new_project_scene(factory_loaded=not compat.BPY_MODULE)
    # Python stored inside a .blend (drivers, text blocks) never runs (--disable-autoexec).
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    send({"event": "ready", "blenderVersion": compat.VERSION_STRING})
    for line in requests:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError:
            sys.stderr.write("bridge: ignoring a malformed request line\n")
            continue
        send(handle(request))
    # The worker closed the request pipe: it wants Blender gone.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
