"""Exporting the scene and importing models."""

import os
import sys

import bpy
from mathutils import Vector

from . import compat
from .channel import BridgeError
from .common import link_to_scene, remove_object, scene
from .objects import deselect_all
from .registry import command

def restore_numpy_aliases():
    """Blender 3.4's glTF importer uses numpy aliases (np.bool, ...) that newer numpy removed.

    Called before a glTF import rather than at start-up: importing numpy takes a noticeable part
    of Blender's boot, which is every cold start's long pole."""
    try:
        import numpy
    except ImportError:
        return
    for alias, builtin in (("bool", bool), ("int", int), ("float", float), ("object", object), ("complex", complex), ("str", str)):
        if alias not in numpy.__dict__:
            setattr(numpy, alias, builtin)


@command("export_scene")
def export_scene(args):
    fmt = args["format"]
    output = args["output"]
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    files = [output]
    if fmt in ("glb", "gltf"):
        compat.export_file(
            "gltf",
            output,
            export_format="GLB" if fmt == "glb" else "GLTF_EMBEDDED",
            export_apply=True,
            export_cameras=False,
            export_lights=False,
        )
    elif fmt == "obj":
        compat.export_file("obj", output, export_materials=True)
        mtl = os.path.splitext(output)[0] + ".mtl"
        if os.path.exists(mtl):
            files.append(mtl)
    elif fmt == "stl":
        compat.export_file("stl", output)
    elif fmt == "fbx":
        # The model only, as in the other formats: no camera or lights.
        compat.export_file("fbx", output, object_types={"EMPTY", "MESH", "OTHER", "ARMATURE"})
    elif fmt == "blend":
        bpy.ops.wm.save_as_mainfile(filepath=output, copy=True, compress=True)
    else:
        raise BridgeError("unsupported_format", "Cannot export %s; use glb, gltf, obj, stl, fbx or blend." % fmt)
    if not os.path.exists(output):
        raise BridgeError("internal", "Blender wrote no %s file." % fmt)
    return {"format": fmt, "files": files}


@command("import_model")
def import_model(args):
    fmt = args["format"]
    path = args["path"]
    if not os.path.exists(path):
        raise BridgeError("artifact_not_found", "The file to import is missing.", {"path": path})
    before = set(bpy.data.objects)
    images_before = set(bpy.data.images)
    deselect_all()
    try:
        if fmt in ("glb", "gltf"):
            restore_numpy_aliases()
            compat.import_file("gltf", path)
        elif fmt in ("obj", "stl", "fbx"):
            compat.import_file(fmt, path)
        else:
            raise BridgeError("unsupported_format", "Cannot import %s; use glb, gltf, obj, stl or fbx." % fmt)
    except RuntimeError as error:
        for obj in [o for o in bpy.data.objects if o not in before]:
            remove_object(obj)
        # Operator errors carry the importer's traceback; its last line says what went wrong.
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = lines[-1][:300] if lines else "unknown error"
        raise BridgeError("unsupported_format", "Blender could not read the %s file (%s). Check that it is a valid %s." % (fmt, reason, fmt))
    # Textures the model points at are packed into the scene: the imported file may not last.
    for image in bpy.data.images:
        if image not in images_before and image.source == "FILE" and image.packed_file is None:
            try:
                image.pack()
            except RuntimeError:
                sys.stderr.write("bridge: could not pack image %s\n" % image.name)
    created = [o for o in bpy.data.objects if o not in before]
    if not created:
        raise BridgeError("unsupported_format", "The %s file holds nothing Blender could import. Check that it is a valid %s." % (fmt, fmt))
    for obj in created:
        if obj.name not in scene().collection.all_objects:
            link_to_scene(obj)
    location = args.get("location")
    if location is not None:
        for obj in created:
            if obj.parent is None:
                obj.location = Vector(obj.location) + Vector(location)
    return {"objects": sorted(o.name for o in created)}
