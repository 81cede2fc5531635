"""What the hierarchy, modifier and shape tools change on an object, read and written without
scene evaluation: where it sits in the hierarchy and the world, its collection, its modifiers and
their settings, and the extrusion and bevel of a text or curve. describe.py adds these to every
object's record; hierarchy.py, modifiers.py and shapes.py write them."""

import bpy
from mathutils import Matrix

from .channel import BridgeError
from .common import find_object, rounded, scene

#: The scene's own collection, as get_scene names it.
SCENE_COLLECTION = "Scene Collection"

#: Custom property on an object that a boolean modifier hid because it cuts with it; it is shown
#: again when no boolean uses it any more.
CUTTER_HIDDEN_PROPERTY = "bod_cutter_hidden"

# ---------------------------------------------------------------------------------------------
# Hierarchy and the world


def world_matrix(obj):
    """The object's world matrix from its own transform and its parents', without evaluating the
    scene (obj.matrix_world is stale until the next evaluation after a change)."""
    matrix = obj.matrix_basis.copy()
    while obj.parent is not None:
        matrix = obj.matrix_parent_inverse @ matrix
        obj = obj.parent
        matrix = obj.matrix_basis @ matrix
    return matrix


def ancestors(obj):
    found = []
    while obj.parent is not None:
        obj = obj.parent
        found.append(obj)
    return found


def descendants(obj):
    """Every object below obj, nearest first."""
    found = []
    pending = list(obj.children)
    while pending:
        child = pending.pop(0)
        found.append(child)
        pending.extend(child.children)
    return found


def attach(obj, parent):
    """Parents obj to parent (or detaches it for None) and keeps it where it is in the world, with
    the same location, rotation and scale values, as Blender's Object > Parent (Keep Transform)."""
    world = world_matrix(obj)
    if parent is None:
        obj.parent = None
        obj.matrix_parent_inverse = Matrix.Identity(4)
        obj.matrix_basis = world
        return
    obj.parent = parent
    # The inverse of the parent's placement now: the child's own values stay as they are, and
    # from here on it follows the parent's moves.
    obj.matrix_parent_inverse = world_matrix(parent).inverted_safe() @ world @ obj.matrix_basis.inverted_safe()


def object_collection(obj):
    """The collection an object is in (the first, for an object linked to several)."""
    for collection in obj.users_collection:
        if collection == scene().collection:
            return SCENE_COLLECTION
        return collection.name
    return SCENE_COLLECTION


def is_hidden(obj):
    return bool(obj.hide_render) or any(collection.hide_render for collection in obj.users_collection)


def describe_relations(obj):
    record = {
        "parent": obj.parent.name if obj.parent is not None else None,
        "children": sorted(child.name for child in obj.children),
        "collection": object_collection(obj),
    }
    if obj.parent is not None:
        record["worldLocation"] = rounded(world_matrix(obj).to_translation())
    if is_hidden(obj):
        record["hidden"] = True
    return record


def find_collection(name):
    """A collection by name; the scene's own for SCENE_COLLECTION."""
    if name == SCENE_COLLECTION:
        return scene().collection
    collection = bpy.data.collections.get(name)
    if collection is None:
        names = sorted(c.name for c in bpy.data.collections)
        raise BridgeError(
            "invalid_arguments",
            'No collection named "%s". Collections: %s (create_collection makes one).' % (name, ", ".join([SCENE_COLLECTION] + names)),
            {"collection": name, "existing": [SCENE_COLLECTION] + names},
        )
    return collection


def describe_collection(collection):
    return {
        "name": SCENE_COLLECTION if collection == scene().collection else collection.name,
        "hidden": bool(collection.hide_render),
        "objects": len(collection.objects),
    }


def describe_collections():
    return [describe_collection(c) for c in sorted(bpy.data.collections, key=lambda c: c.name)]


# ---------------------------------------------------------------------------------------------
# Modifiers

#: The contracts' modifier types and Blender's.
MODIFIER_TYPE_IDS = {
    "bevel": "BEVEL",
    "subdivision": "SUBSURF",
    "array": "ARRAY",
    "mirror": "MIRROR",
    "solidify": "SOLIDIFY",
    "boolean": "BOOLEAN",
    "displace": "DISPLACE",
}
MODIFIER_TYPE_NAMES = {value: key for key, value in MODIFIER_TYPE_IDS.items()}

#: The settings each modifier type takes (the contracts' field names).
MODIFIER_SETTINGS = {
    "bevel": ("width", "segments"),
    "subdivision": ("levels",),
    "array": ("count", "offset"),
    "mirror": ("axes",),
    "solidify": ("thickness",),
    "boolean": ("operation", "with", "hideCutter"),
    "displace": ("strength", "scale"),
}

#: What a new modifier of each type gets for the settings it is not given.
MODIFIER_DEFAULTS = {
    "bevel": {"width": 0.1, "segments": 3},
    "subdivision": {"levels": 2},
    "array": {"count": 2, "offset": [1.0, 0.0, 0.0]},
    "mirror": {"axes": ["x"]},
    "solidify": {"thickness": 0.1},
    "boolean": {"operation": "difference", "hideCutter": True},
    "displace": {"strength": 0.3, "scale": 0.5},
}

AXES = ("x", "y", "z")
BOOLEAN_OPERATIONS = {"difference": "DIFFERENCE", "union": "UNION", "intersect": "INTERSECT"}


def boolean_users(cutter, ignore=()):
    """(object, modifier) pairs of the boolean modifiers that cut with `cutter`, except on the
    objects in `ignore`."""
    users = []
    for obj in bpy.data.objects:
        if obj in ignore:
            continue
        for modifier in obj.modifiers:
            if modifier.type == "BOOLEAN" and modifier.object == cutter:
                users.append((obj, modifier))
    return users


def show_cutter_if_unused(cutter):
    """Shows again an object a boolean hid, once no boolean cuts with it."""
    if cutter is None or not cutter.get(CUTTER_HIDDEN_PROPERTY) or boolean_users(cutter):
        return
    del cutter[CUTTER_HIDDEN_PROPERTY]
    cutter.hide_render = False
    cutter.display_type = "TEXTURED"


def displace_texture(obj, modifier):
    """The displace modifier's own noise texture, made when it has none."""
    texture = modifier.texture
    if texture is None or texture.type != "CLOUDS":
        texture = bpy.data.textures.new("%s %s" % (obj.name, modifier.name), "CLOUDS")
        modifier.texture = texture
    return texture


def write_modifier_settings(obj, modifier, kind, settings):
    """Applies the given settings (already checked to belong to `kind`) to a modifier."""
    if kind == "bevel":
        if "width" in settings:
            modifier.width = settings["width"]
        if "segments" in settings:
            modifier.segments = settings["segments"]
    elif kind == "subdivision":
        if "levels" in settings:
            modifier.levels = settings["levels"]
            modifier.render_levels = settings["levels"]
    elif kind == "array":
        modifier.use_relative_offset = True
        modifier.use_constant_offset = False
        if "count" in settings:
            modifier.count = settings["count"]
        if "offset" in settings:
            modifier.relative_offset_displace = settings["offset"]
    elif kind == "mirror":
        if "axes" in settings:
            modifier.use_axis = [axis in settings["axes"] for axis in AXES]
    elif kind == "solidify":
        if "thickness" in settings:
            modifier.thickness = settings["thickness"]
    elif kind == "boolean":
        if "with" in settings:
            # Checked before anything changes, so a refused call leaves the modifier as it was.
            cutter = find_object(settings["with"])
            if cutter == obj:
                raise BridgeError("invalid_arguments", '"%s" cannot cut itself: give another object as `with`.' % obj.name)
            if cutter.type != "MESH":
                raise BridgeError(
                    "invalid_arguments", 'A boolean cuts with a mesh object; "%s" is a %s.' % (cutter.name, cutter.type), {"with": cutter.name}
                )
        if "operation" in settings:
            modifier.operation = BOOLEAN_OPERATIONS[settings["operation"]]
        if "with" in settings:
            previous = modifier.object
            modifier.object = cutter
            if settings.get("hideCutter", True):
                if not cutter.hide_render:
                    cutter[CUTTER_HIDDEN_PROPERTY] = True
                cutter.hide_render = True
                cutter.display_type = "WIRE"
            if previous is not None and previous != cutter:
                show_cutter_if_unused(previous)
        elif "hideCutter" in settings and modifier.object is not None:
            cutter = modifier.object
            if settings["hideCutter"]:
                if not cutter.hide_render:
                    cutter[CUTTER_HIDDEN_PROPERTY] = True
                cutter.hide_render = True
                cutter.display_type = "WIRE"
            else:
                if CUTTER_HIDDEN_PROPERTY in cutter:
                    del cutter[CUTTER_HIDDEN_PROPERTY]
                cutter.hide_render = False
                cutter.display_type = "TEXTURED"
    elif kind == "displace":
        texture = displace_texture(obj, modifier)
        if "strength" in settings:
            modifier.strength = settings["strength"]
        if "scale" in settings:
            # The worker turns every `scale` number into [x, y, z]; the noise has one size.
            scale = settings["scale"]
            texture.noise_scale = scale[0] if isinstance(scale, (list, tuple)) else scale


def describe_modifier(modifier):
    kind = MODIFIER_TYPE_NAMES.get(modifier.type)
    record = {"name": modifier.name, "type": kind or modifier.type.lower()}
    if kind == "bevel":
        record.update(width=round(modifier.width, 6), segments=modifier.segments)
    elif kind == "subdivision":
        record.update(levels=modifier.levels)
    elif kind == "array":
        record.update(count=modifier.count, offset=rounded(modifier.relative_offset_displace))
    elif kind == "mirror":
        record.update(axes=[axis for axis, used in zip(AXES, modifier.use_axis) if used])
    elif kind == "solidify":
        record.update(thickness=round(modifier.thickness, 6))
    elif kind == "boolean":
        cutter = modifier.object
        record.update(operation=modifier.operation.lower(), **{"with": cutter.name if cutter is not None else None})
        if cutter is None:
            record["problem"] = "It cuts with no object (its object was removed): give one with update_modifier `with`, or remove it."
    elif kind == "displace":
        record["strength"] = round(modifier.strength, 6)
        if modifier.texture is not None and modifier.texture.type == "CLOUDS":
            record["scale"] = round(modifier.texture.noise_scale, 6)
    return record


def describe_modifiers(obj):
    return [describe_modifier(modifier) for modifier in obj.modifiers]


# ---------------------------------------------------------------------------------------------
# Text and curves


def describe_shape(obj):
    curve = obj.data
    record = {
        "extrude": round(curve.extrude, 6),
        "bevelDepth": round(curve.bevel_depth, 6),
        "bevelResolution": int(curve.bevel_resolution),
    }
    if obj.type == "CURVE" and len(curve.splines) > 0:
        spline = curve.splines[0]
        record["points"] = len(spline.bezier_points) if spline.type == "BEZIER" else len(spline.points)
        record["closed"] = bool(spline.use_cyclic_u)
    return record


def describe_parts(obj):
    """The hierarchy, modifier and shape fields of an object's get_scene record."""
    record = describe_relations(obj)
    if obj.type in ("MESH", "CURVE", "FONT"):
        record["modifiers"] = describe_modifiers(obj)
    if obj.type in ("CURVE", "FONT"):
        record["shape"] = describe_shape(obj)
    return record
