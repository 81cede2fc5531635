"""run_script's side in the bridge. The code itself never runs here: the worker saves a copy of the
scene (save_scene_copy) for a sandboxed Blender that runs the code and saves the scene it leaves;
run_script then makes that file the scene.

That file comes from untrusted code, so it is opened like any .blend here (Python stored in it does
not run: Blender runs with --disable-autoexec) and checked before it is kept: it may not point at
files the scene did not point at before (linked libraries, unpacked images, fonts, sounds, clips,
volumes, caches, external OSL scripts), which this Blender could read while the sandbox could not,
nor hold nodes or caches that write files (compositor File Output, disk caches, bakes) or import
them (geometry nodes' Import nodes). A file that fails is not kept: the scene goes back to the copy
saved before the script. Replays of the journal load a file that passed once, and are not checked.
"""

import os

import bpy

from .channel import BridgeError
from .common import scene
from .registry import command


@command("save_scene_copy")
def save_scene_copy(args):
    path = args["path"]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=False)
    return {"path": path}


@command("run_script")
def run_script(args):
    path = args["path"]
    previous = args.get("previous")
    if not os.path.exists(path):
        raise BridgeError("artifact_not_found", "The scene the script saved is missing.")
    before = external_files()
    bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    if previous:
        refused = sorted(set(external_files()) - set(before)) + file_writers()
        if refused:
            bpy.ops.wm.open_mainfile(filepath=previous, load_ui=False)
            raise BridgeError(
                "script_failed",
                "The script's scene was not kept, and the scene is unchanged: it refers to files outside the scene or "
                "writes files (%s). Pack images into the scene (image.pack()) and leave out linked libraries, "
                "File Output nodes, disk caches and Import nodes." % "; ".join(refused[:10]),
                {"refused": refused[:50]},
            )
    return {"objects": sorted(obj.name for obj in scene().objects)}


def normalized(path, library=None):
    if not path:
        return ""
    return os.path.normpath(bpy.path.abspath(path, library=library))


def external_files():
    """Every file outside the .blend that the scene's data would read, as "kind path"."""
    found = []
    data = bpy.data
    for library in data.libraries:
        found.append("library %s" % normalized(library.filepath))
    for image in data.images:
        if image.source in {"FILE", "SEQUENCE", "MOVIE", "TILED"} and not image.packed_files and image.filepath:
            found.append("image %s" % normalized(image.filepath, image.library))
    for font in data.fonts:
        if font.filepath and font.filepath != "<builtin>" and not font.packed_file:
            found.append("font %s" % normalized(font.filepath, font.library))
    for sound in data.sounds:
        if sound.filepath and not sound.packed_file:
            found.append("sound %s" % normalized(sound.filepath, sound.library))
    for clip in data.movieclips:
        found.append("movie clip %s" % normalized(clip.filepath, clip.library))
    for volume in getattr(data, "volumes", []):
        if volume.filepath and not volume.packed_file:
            found.append("volume %s" % normalized(volume.filepath, volume.library))
    for cache in data.cache_files:
        found.append("cache file %s" % normalized(cache.filepath, cache.library))
    for text in data.texts:
        if text.filepath and not text.is_in_memory:
            found.append("text %s" % normalized(text.filepath, text.library))
    for tree in node_trees():
        for node in tree.nodes:
            if node.bl_idname == "ShaderNodeScript" and node.mode == "EXTERNAL" and node.filepath:
                found.append("OSL script %s" % normalized(node.filepath))
    return found


def node_trees():
    """Every node tree of the file: node groups and those of materials, worlds, lights, textures, scenes."""
    trees = list(bpy.data.node_groups)
    for owners in (bpy.data.materials, bpy.data.worlds, bpy.data.lights, bpy.data.textures, bpy.data.scenes):
        for owner in owners:
            tree = getattr(owner, "node_tree", None)
            if tree is not None:
                trees.append(tree)
    return trees


def file_writers():
    """Nodes, modifiers and caches that would write or import files when the scene is rendered or evaluated."""
    found = []
    for tree in node_trees():
        for node in tree.nodes:
            idname = node.bl_idname
            if idname == "CompositorNodeOutputFile" or idname.startswith("GeometryNodeImport") or idname == "GeometryNodeBake":
                found.append("node %s (%s) in %s" % (node.name, idname, tree.name))
    for obj in bpy.data.objects:
        for modifier in obj.modifiers:
            if getattr(modifier, "bake_directory", ""):
                found.append("modifier %s of %s bakes to %s" % (modifier.name, obj.name, modifier.bake_directory))
            settings = getattr(modifier, "domain_settings", None)
            if modifier.type == "FLUID" and getattr(modifier, "fluid_type", "") == "DOMAIN" and settings is not None:
                found.append("fluid domain %s of %s caches to %s" % (modifier.name, obj.name, settings.cache_directory))
            cache = point_cache_of(modifier)
            if cache is not None and (cache.use_disk_cache or cache.use_external):
                found.append("modifier %s of %s caches on disk" % (modifier.name, obj.name))
        for system in getattr(obj, "particle_systems", []):
            cache = system.point_cache
            if cache.use_disk_cache or cache.use_external:
                found.append("particle system %s of %s caches on disk" % (system.name, obj.name))
    for each in bpy.data.scenes:
        world = each.rigidbody_world
        if world is not None and world.point_cache is not None and (world.point_cache.use_disk_cache or world.point_cache.use_external):
            found.append("rigid body cache of scene %s on disk" % each.name)
    return found


def point_cache_of(modifier):
    cache = getattr(modifier, "point_cache", None)
    if cache is not None:
        return cache
    settings = getattr(modifier, "settings", None)
    return getattr(settings, "point_cache", None)
