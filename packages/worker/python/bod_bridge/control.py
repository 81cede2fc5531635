"""Control commands the worker itself sends: ping, reset, and scene snapshots."""

import os
import time

import bpy

from .channel import BridgeError
from .common import IDEMPOTENCY_KEYS_PROPERTY, JOURNAL_SEQ_PROPERTY, TEST_HOOKS, scene
from .new_scene import new_project_scene
from .registry import command

@command("ping")
def ping(args):
    if TEST_HOOKS and args.get("sleepMs"):
        # Test hook: simulates a command that hangs.
        time.sleep(float(args["sleepMs"]) / 1000)
    return {"blenderVersion": bpy.app.version_string, "pid": os.getpid()}


@command("reset_scene")
def reset_scene(_args):
    new_project_scene()
    return {}


@command("save_snapshot")
def save_snapshot(args):
    s = scene()
    s[JOURNAL_SEQ_PROPERTY] = int(args.get("journalSeq") or 0)
    s[IDEMPOTENCY_KEYS_PROPERTY] = str(args.get("keys") or "[]")
    os.makedirs(os.path.dirname(args["path"]) or ".", exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=args["path"], copy=True, compress=False)
    return {"path": args["path"]}


@command("load_snapshot")
def load_snapshot(args):
    path = args["path"]
    if not os.path.exists(path):
        raise BridgeError("artifact_not_found", "No snapshot at %s." % path)
    bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    s = scene()
    return {"journalSeq": int(s.get(JOURNAL_SEQ_PROPERTY, 0)), "keys": str(s.get(IDEMPOTENCY_KEYS_PROPERTY, "[]"))}
