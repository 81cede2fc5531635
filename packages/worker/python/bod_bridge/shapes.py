"""Text and curves: add_curve (a curve through points) and set_shape (extrusion, bevel, words)."""

import bpy

from .channel import BridgeError
from .common import PRIMITIVE_PROPERTY, ensure_name_free, find_object, link_to_scene
from .describe import describe_object
from .materials import ensure_material, set_base_color
from .objects import apply_transform
from .registry import command

#: Roundness of a new curve's bevel, and how many segments a smooth curve has between two points.
DEFAULT_BEVEL_RESOLUTION = 4
SMOOTH_RESOLUTION = 12


def set_curve_shape(curve, args):
    if args.get("extrude") is not None:
        curve.extrude = args["extrude"]
    if args.get("bevelDepth") is not None:
        curve.bevel_depth = args["bevelDepth"]
    if args.get("bevelResolution") is not None:
        curve.bevel_resolution = args["bevelResolution"]


@command("add_curve")
def add_curve(args):
    name = args.get("name")
    ensure_name_free(name)
    points = args["points"]
    curve = bpy.data.curves.new(name or "Curve", "CURVE")
    curve.dimensions = "3D"
    # A tube's cross-section keeps its size along the whole curve.
    curve.fill_mode = "FULL"
    curve.bevel_resolution = DEFAULT_BEVEL_RESOLUTION
    if args.get("smooth"):
        # A Bezier spline with automatic handles passes through every point smoothly.
        spline = curve.splines.new("BEZIER")
        spline.bezier_points.add(len(points) - 1)
        for point, co in zip(spline.bezier_points, points):
            point.co = co
            point.handle_left_type = "AUTO"
            point.handle_right_type = "AUTO"
        curve.resolution_u = SMOOTH_RESOLUTION
    else:
        spline = curve.splines.new("POLY")
        spline.points.add(len(points) - 1)
        for point, co in zip(spline.points, points):
            point.co = (co[0], co[1], co[2], 1.0)
    spline.use_cyclic_u = bool(args.get("closed"))
    set_curve_shape(curve, args)
    obj = bpy.data.objects.new(name or "Curve", curve)
    link_to_scene(obj)
    obj[PRIMITIVE_PROPERTY] = "curve"
    apply_transform(obj, args)
    material = ensure_material(obj)
    if args.get("color") is not None:
        set_base_color(material, args["color"])
    return {"object": describe_object(obj)}


@command("set_shape")
def set_shape(args):
    obj = find_object(args["object"])
    if obj.type not in ("FONT", "CURVE"):
        raise BridgeError(
            "invalid_arguments",
            'set_shape changes text and curve objects; "%s" is a %s. For meshes, add_modifier (bevel, solidify) does this.' % (obj.name, obj.type),
            {"object": obj.name, "type": obj.type},
        )
    if args.get("text") is not None and obj.type != "FONT":
        raise BridgeError("invalid_arguments", '`text` is for text objects; "%s" is a curve.' % obj.name)
    set_curve_shape(obj.data, args)
    if args.get("text") is not None:
        obj.data.body = args["text"]
    return {"object": describe_object(obj)}
