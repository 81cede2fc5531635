"""What each animatable property of the contracts is in Blender, and how get_scene reads what is
animated: each property maps to one or more "channels", an RNA struct and the property on it that
Blender keys. A material's color is two: the Principled BSDF's Base Color (EEVEE, Cycles) and the
material's viewport color (Workbench), kept in step. Also the timeline as get_scene shows it."""

from .channel import BridgeError
from .common import scene
from .compat import action_fcurves
from .materials import ensure_material, find_principled

TRANSFORMS = {"location": "location", "rotation": "rotation_euler", "scale": "scale"}


def allowed_properties(obj):
    """The properties insert_keyframe can animate on `obj`, by what kind of object it is."""
    allowed = ["location", "rotation", "scale"]
    if obj.type == "LIGHT":
        allowed += ["color", "energy"]
    elif obj.type == "CAMERA":
        allowed += ["lens", "focusDistance"]
    elif obj.data is not None and hasattr(obj.data, "materials"):
        allowed.append("color")
    return allowed


def check_allowed(obj, prop):
    allowed = allowed_properties(obj)
    if prop not in allowed:
        raise BridgeError(
            "invalid_arguments",
            '"%s" is a %s; its animatable properties are %s.' % (obj.name, obj.type, ", ".join(allowed)),
            {"object": obj.name, "property": prop, "allowed": allowed},
        )


def channels(obj, prop, create):
    """(struct, property name) pairs that hold `prop` of `obj`. `create`: give the object a
    material when it needs one for color (inserting); otherwise an object without one has none."""
    if prop in TRANSFORMS:
        return [(obj, TRANSFORMS[prop])]
    if prop == "color" and obj.type == "LIGHT":
        return [(obj.data, "color")]
    if prop == "color":
        material = ensure_material(obj) if create else obj.active_material
        if material is None:
            return []
        found = [(material, "diffuse_color")]
        node = find_principled(material)
        if node is not None:
            found.insert(0, (node.inputs["Base Color"], "default_value"))
        return found
    if prop == "energy":
        return [(obj.data, "energy")]
    if prop == "lens":
        return [(obj.data, "lens")]
    return [(obj.data.dof, "focus_distance")]


def fcurves_of(struct, name):
    """The F-curves animating `name` of `struct` (one per vector component), where its ID keeps them."""
    curves = action_fcurves(struct.id_data)
    if curves is None:
        return []
    path = struct.path_from_id(name)
    return [curve for curve in curves if curve.data_path == path]


def frame_number(value):
    """A keyframe's frame as get_scene shows it: a whole number where it is one."""
    rounded_frame = round(float(value), 3)
    return int(rounded_frame) if rounded_frame.is_integer() else rounded_frame


def keyed_frames(obj, prop):
    frames = set()
    for struct, name in channels(obj, prop, create=False):
        for curve in fcurves_of(struct, name):
            frames.update(frame_number(point.co[0]) for point in curve.keyframe_points)
    return sorted(frames)


def describe_animation(obj):
    """[{property, frames}] for each animated property of `obj`, in PROPERTIES order; [] when none."""
    # Most objects have no animation at all: answer from a few attribute reads.
    holders = [obj, obj.data]
    material = obj.active_material if obj.type not in ("LIGHT", "CAMERA") and hasattr(obj.data, "materials") else None
    if material is not None:
        holders += [material, material.node_tree]
    if all(holder is None or getattr(holder, "animation_data", None) is None for holder in holders):
        return []
    described = []
    for prop in allowed_properties(obj):
        frames = keyed_frames(obj, prop)
        if frames:
            described.append({"property": prop, "frames": frames})
    return described


def animation_field(obj):
    """{"animation": [...]} for a description of an animated object, else {} (the field is left out)."""
    described = describe_animation(obj)
    return {"animation": described} if described else {}


def describe_timeline():
    s = scene()
    return {
        "frameStart": int(s.frame_start),
        "frameEnd": int(s.frame_end),
        "frameCurrent": int(s.frame_current),
        "fps": round(s.render.fps / s.render.fps_base, 3),
    }
