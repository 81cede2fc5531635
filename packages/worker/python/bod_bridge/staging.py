"""Lights, the camera and the world: what the scene is seen in."""

import bpy

from .channel import BridgeError
from .common import (
    DEFAULT_CAMERA_LOCATION,
    DEFAULT_LIGHT_ENERGY,
    LIGHT_TYPE_IDS,
    TARGET_PROPERTY,
    aim_rotation,
    ensure_name_free,
    find_object,
    link_to_scene,
    scene,
)
from .describe import describe_camera, describe_light, describe_world, world_background
from .registry import command
from .texture_nodes import clear_world_source

@command("add_light")
def add_light(args):
    kind = args["type"]
    name = args.get("name")
    ensure_name_free(name)
    default_name = kind.capitalize()
    data = bpy.data.lights.new(name or default_name, LIGHT_TYPE_IDS[kind])
    data.energy = args["energy"] if args.get("energy") is not None else DEFAULT_LIGHT_ENERGY[kind]
    if args.get("color") is not None:
        data.color = args["color"]
    obj = bpy.data.objects.new(name or default_name, data)
    link_to_scene(obj)
    obj.location = args["location"] if args.get("location") is not None else (0.0, 0.0, 5.0)
    if args.get("target") is not None:
        obj.rotation_euler = aim_rotation(obj.location, args["target"])
    return {"light": describe_light(obj)}


@command("set_camera")
def set_camera(args):
    s = scene()
    camera = s.camera
    if camera is None:
        camera = next((o for o in bpy.data.objects if o.type == "CAMERA"), None)
    if camera is None:
        camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
        link_to_scene(camera)
        camera.location = DEFAULT_CAMERA_LOCATION
        camera[TARGET_PROPERTY] = [0.0, 0.0, 0.0]
    s.camera = camera
    if args.get("location") is not None:
        camera.location = args["location"]
    target = args.get("target")
    if target is not None:
        camera[TARGET_PROPERTY] = [float(v) for v in target]
    if target is not None or args.get("location") is not None:
        # Moving without a new target keeps the camera aimed at the point it last looked at.
        aim = list(camera.get(TARGET_PROPERTY, [0.0, 0.0, 0.0]))
        camera.rotation_mode = "XYZ"
        camera.rotation_euler = aim_rotation(camera.location, aim)
    if args.get("lens") is not None:
        camera.data.lens = args["lens"]
    set_depth_of_field(camera, args)
    return {"camera": describe_camera()}


def set_depth_of_field(camera, args):
    """Focus on an object or at a distance, with an f-stop; any of them turns depth of field on
    unless `dof` is given."""
    dof = camera.data.dof
    if args.get("focusObject") is not None:
        target = find_object(args["focusObject"])
        if target == camera:
            raise BridgeError("invalid_arguments", "The camera cannot focus on itself; give another object or a focusDistance.")
        dof.focus_object = target
    if args.get("focusDistance") is not None:
        # A distance replaces an object to focus on.
        dof.focus_object = None
        dof.focus_distance = args["focusDistance"]
    if args.get("fStop") is not None:
        dof.aperture_fstop = args["fStop"]
    if args.get("dof") is not None:
        dof.use_dof = bool(args["dof"])
    elif any(args.get(key) is not None for key in ("focusObject", "focusDistance", "fStop")):
        dof.use_dof = True


@command("set_world")
def set_world(args):
    world, node = world_background()
    if args.get("color") is not None:
        # A color world: an HDRI or sky it had goes.
        clear_world_source(world.node_tree, node)
        rgb = args["color"]
        node.inputs["Color"].default_value = (rgb[0], rgb[1], rgb[2], 1.0)
    if args.get("strength") is not None:
        node.inputs["Strength"].default_value = args["strength"]
    return {"world": describe_world()}
