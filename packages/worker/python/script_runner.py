"""Runs one run_script call inside the script sandbox (src/script/script-sandbox.ts).

Blender runs it as `blender -b --factory-startup --disable-autoexec --python script_runner.py --
/scratch` (or a Python with bpy as `python -I script_runner.py -- /scratch`). The scratch folder
holds the scene the worker saved (in.blend), the code (script.py) and a marker line (marker). The
runner opens the scene, writes the marker, runs the code with stderr joined to stdout, writes the
marker again, and on success saves the scene the code left as out.blend. result.json says how the
code ended and carries its global `result`. Nothing here is trusted by the worker: the code runs in
this same interpreter and could rewrite any of it; the sandbox is what holds it.
"""

import json
import os
import sys
import traceback

import bpy

SCRATCH = sys.argv[sys.argv.index("--") + 1] if "--" in sys.argv else os.getcwd()


def scratch(name):
    return os.path.join(SCRATCH, name)


def write_status(status):
    with open(scratch("result.json"), "w", encoding="utf-8") as handle:
        json.dump(status, handle)


def jsonable(value):
    """The code's `result` as JSON data, or a note saying why it cannot be carried."""
    try:
        return {"result": json.loads(json.dumps(value, allow_nan=False))}
    except (TypeError, ValueError) as error:
        return {"resultError": "result is not JSON data (%s)" % error}


def main():
    with open(scratch("marker"), encoding="utf-8") as handle:
        marker = handle.read().strip()
    with open(scratch("script.py"), encoding="utf-8") as handle:
        code = handle.read()
    os.makedirs(scratch("tmp"), exist_ok=True)
    bpy.ops.wm.open_mainfile(filepath=scratch("in.blend"), load_ui=False)

    # From here on the code's output, Python's and Blender's alike, goes to stdout in order.
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(1, 2)
    sys.stdout.write(marker + "\n")
    sys.stdout.flush()
    namespace = {"__name__": "__main__", "__file__": "script.py", "bpy": bpy}
    status = {"ok": True}
    try:
        exec(compile(code, "script.py", "exec"), namespace)
    except SystemExit as exit_request:
        if exit_request.code not in (None, 0):
            status = {"ok": False, "error": "the script called sys.exit(%r)" % (exit_request.code,)}
    except BaseException as error:  # noqa: BLE001 - every failure of the code is reported, none ends the runner
        traceback.print_exc()
        status = {"ok": False, "error": "".join(traceback.format_exception_only(type(error), error)).strip()}
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout.write("\n" + marker + "\n")
    sys.stdout.flush()

    if status["ok"]:
        if "result" in namespace:
            status.update(jsonable(namespace["result"]))
        try:
            bpy.ops.wm.save_as_mainfile(filepath=scratch("out.blend"), copy=True, compress=False)
        except BaseException as error:  # noqa: BLE001
            status = {"ok": False, "error": "the scene could not be saved: %s" % error}
    write_status(status)
    sys.stdout.flush()
    os._exit(0 if status["ok"] else 1)


main()
