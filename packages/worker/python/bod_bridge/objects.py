"""Objects: primitives built as mesh data, and adding, changing, copying and removing objects."""

import math

import bmesh
import bpy
from mathutils import Vector

from . import compat
from .channel import BridgeError
from .common import (
    PRIMITIVE_PROPERTY,
    ensure_name_free,
    existing_names,
    find_object,
    link_to_scene,
    radians,
    remove_object,
    scene,
)
from .describe import describe_object, is_scene_object
from .materials import ensure_material, principled, set_alpha, set_base_color
from .new_scene import new_project_scene
from .object_parts import attach, boolean_users, descendants
from .registry import command

def build_torus(bm, major_radius=1.0, minor_radius=0.25, major_segments=48, minor_segments=12):
    rings = []
    for i in range(major_segments):
        u = 2 * math.pi * i / major_segments
        ring = []
        for j in range(minor_segments):
            v = 2 * math.pi * j / minor_segments
            distance = major_radius + minor_radius * math.cos(v)
            ring.append(bm.verts.new((distance * math.cos(u), distance * math.sin(u), minor_radius * math.sin(v))))
        rings.append(ring)
    uv_layer = bm.loops.layers.uv.active
    for i in range(major_segments):
        ring, following = rings[i], rings[(i + 1) % major_segments]
        for j in range(minor_segments):
            k = (j + 1) % minor_segments
            face = bm.faces.new((ring[j], following[j], following[k], ring[k]))
            if uv_layer is not None:
                corners = ((i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1))
                for loop, (a, b) in zip(face.loops, corners):
                    loop[uv_layer].uv = (a / major_segments, b / minor_segments)


# Each primitive as Blender's Add menu makes it (same sizes), built directly as mesh data: the
# add operators re-evaluate the whole scene twice per call, which grows with the scene.
PRIMITIVES = {
    "cube": ("Cube", lambda bm: bmesh.ops.create_cube(bm, size=2.0, calc_uvs=True)),
    "uv_sphere": ("Sphere", lambda bm: bmesh.ops.create_uvsphere(bm, u_segments=32, v_segments=16, radius=1.0, calc_uvs=True)),
    "ico_sphere": ("Icosphere", lambda bm: bmesh.ops.create_icosphere(bm, subdivisions=2, radius=1.0, calc_uvs=True)),
    "cylinder": (
        "Cylinder",
        lambda bm, segments=32: bmesh.ops.create_cone(
            bm, cap_ends=True, cap_tris=False, segments=segments, radius1=1.0, radius2=1.0, depth=2.0, calc_uvs=True
        ),
    ),
    "cone": (
        "Cone",
        lambda bm, segments=32: bmesh.ops.create_cone(
            bm, cap_ends=True, cap_tris=False, segments=segments, radius1=1.0, radius2=0.0, depth=2.0, calc_uvs=True
        ),
    ),
    "torus": ("Torus", build_torus),
    "plane": ("Plane", lambda bm: bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=1.0, calc_uvs=True)),
    "circle": ("Circle", lambda bm, segments=32: bmesh.ops.create_circle(bm, cap_ends=False, segments=segments, radius=1.0)),
    "monkey": ("Suzanne", lambda bm: bmesh.ops.create_monkey(bm, calc_uvs=True)),
}

# Curved primitives are shaded smooth, with edges sharper than the angle kept hard (a cylinder's caps)
# crisp, so a sphere renders as a sphere and not as facets.
SMOOTH_PRIMITIVES = {"uv_sphere", "ico_sphere", "cylinder", "cone", "torus", "monkey"}
AUTO_SMOOTH_ANGLE = math.radians(40)


def shade_smooth(mesh):
    compat.shade_smooth(mesh, AUTO_SMOOTH_ANGLE)


def apply_transform(obj, args):
    if args.get("location") is not None:
        obj.location = args["location"]
    if args.get("translate") is not None:
        obj.location = Vector(obj.location) + Vector(args["translate"])
    if args.get("rotation") is not None:
        obj.rotation_mode = "XYZ"
        obj.rotation_euler = radians(args["rotation"])
    if args.get("scale") is not None:
        obj.scale = args["scale"]


def deselect_all():
    for obj in bpy.context.view_layer.objects:
        obj.select_set(False)


@command("add_object")
def add_object(args):
    kind = args["type"]
    name = args.get("name")
    ensure_name_free(name)
    if kind == "text":
        curve = bpy.data.curves.new(name or "Text", "FONT")
        curve.body = args.get("text") or "Text"
        curve.align_x = "CENTER"
        obj = bpy.data.objects.new(name or "Text", curve)
        link_to_scene(obj)
    elif kind in PRIMITIVES:
        default_name, build = PRIMITIVES[kind]
        mesh = bpy.data.meshes.new(name or default_name)
        bm = bmesh.new()
        try:
            bm.loops.layers.uv.new("UVMap")
            # Only cylinder, cone and circle take segments (the contract refuses it for others).
            build(bm, args["segments"]) if args.get("segments") is not None else build(bm)
            bm.to_mesh(mesh)
        finally:
            bm.free()
        if kind in SMOOTH_PRIMITIVES:
            shade_smooth(mesh)
        # A free name is taken as given (checked above); otherwise Blender makes the default unique.
        obj = bpy.data.objects.new(name or default_name, mesh)
        link_to_scene(obj)
    elif kind == "empty":
        # No data: a point that carries children (a group's origin) and never renders.
        obj = bpy.data.objects.new(name or "Empty", None)
        obj.empty_display_type = "PLAIN_AXES"
        link_to_scene(obj)
    else:
        raise BridgeError("invalid_arguments", "Unknown object type %s." % kind)
    obj[PRIMITIVE_PROPERTY] = kind
    apply_transform(obj, args)
    if kind != "empty":
        material = ensure_material(obj)
        if args.get("color") is not None:
            set_base_color(material, args["color"])
    return {"object": describe_object(obj)}


@command("update_object")
def update_object(args):
    obj = find_object(args["name"])
    new_name = args.get("newName")
    if new_name is not None and new_name != obj.name:
        ensure_name_free(new_name)
        obj.name = new_name
    apply_transform(obj, args)
    if args.get("color") is not None:
        if obj.type == "LIGHT":
            obj.data.color = args["color"]
        else:
            set_base_color(ensure_material(obj), args["color"])
    return {"object": describe_object(obj)}


@command("delete_object")
def delete_object(args):
    obj = find_object(args["name"])
    name = obj.name
    # A group (an empty) is its members; other objects leave their children where they are.
    with_children = args.get("withChildren")
    if with_children is None:
        with_children = obj.type == "EMPTY"
    going = [obj] + (descendants(obj) if with_children else [])
    for item in going:
        users = boolean_users(item, ignore=going)
        if users:
            owner, modifier = users[0]
            raise BridgeError(
                "invalid_arguments",
                '"%s" is what the boolean modifier "%s" of "%s" cuts with; remove that modifier first (remove_modifier), or delete "%s" too.'
                % (item.name, modifier.name, owner.name, owner.name),
                {"object": item.name, "usedBy": [{"object": o.name, "modifier": m.name} for o, m in users]},
            )
    if not with_children:
        for child in list(obj.children):
            attach(child, None)
    also = [item.name for item in going[1:]]
    # Children before parents, so no object is left pointing at a removed one.
    for item in reversed(going):
        if scene().camera == item:
            scene().camera = None
        remove_object(item)
    result = {"deleted": name}
    if also:
        result["alsoDeleted"] = also
    return result


@command("duplicate_object")
def duplicate_object(args):
    source = find_object(args["name"])
    new_name = args.get("newName")
    ensure_name_free(new_name)
    copy = copy_object(source, new_name)
    # A group (or any parent) is copied with everything below it, so the copy of a table has legs.
    copies = {source: copy}
    for item in descendants(source):
        copies[item] = copy_object(item, None)
        copies[item].parent = copies[item.parent]
        # Setting the parent resets the inverse; the original's keeps the copy where the original is.
        copies[item].matrix_parent_inverse = item.matrix_parent_inverse.copy()
    for item in copies.values():
        for modifier in item.modifiers:
            # A boolean that cut with an object of the copied hierarchy cuts with that object's copy.
            if modifier.type == "BOOLEAN" and modifier.object in copies:
                modifier.object = copies[modifier.object]
    if args.get("offset") is not None:
        copy.location = Vector(source.location) + Vector(args["offset"])
    return {"object": describe_object(copy)}


def copy_object(source, new_name):
    """A copy of one object with its own data, materials and displace textures, in the source's collections."""
    copy = source.copy()
    if source.data is not None:
        copy.data = source.data.copy()
    collections = list(source.users_collection)
    if collections:
        for collection in collections:
            collection.objects.link(copy)
    else:
        link_to_scene(copy)
    if new_name is not None:
        copy.name = new_name
    for modifier in copy.modifiers:
        if modifier.type == "DISPLACE" and modifier.texture is not None:
            modifier.texture = modifier.texture.copy()
    if copy.data is not None and hasattr(copy.data, "materials"):
        for index, material in enumerate(copy.data.materials):
            if material is not None:
                own = material.copy()
                own.name = copy.name
                copy.data.materials[index] = own
        for slot in copy.material_slots:
            if slot.link == "OBJECT" and slot.material is not None:
                slot.material = slot.material.copy()
    return copy


@command("set_material")
def set_material(args):
    obj = find_object(args["name"])
    material = ensure_material(obj)
    node = principled(material)
    if args.get("color") is not None:
        set_base_color(material, args["color"])
    if args.get("metallic") is not None:
        node.inputs["Metallic"].default_value = args["metallic"]
        material.metallic = args["metallic"]
    if args.get("roughness") is not None:
        node.inputs["Roughness"].default_value = args["roughness"]
        material.roughness = args["roughness"]
    if args.get("emissionColor") is not None:
        rgb = args["emissionColor"]
        compat.emission_color_input(node).default_value = (rgb[0], rgb[1], rgb[2], 1.0)
        if args.get("emissionStrength") is None and node.inputs["Emission Strength"].default_value == 0:
            node.inputs["Emission Strength"].default_value = 1.0
    if args.get("emissionStrength") is not None:
        node.inputs["Emission Strength"].default_value = args["emissionStrength"]
    if args.get("alpha") is not None:
        set_alpha(material, args["alpha"])
    return {"object": describe_object(obj)}


@command("clear_scene")
def clear_scene(args):
    if args.get("resetAll"):
        removed = existing_names()
        new_project_scene()
        return {"removed": removed}
    removed = []
    for obj in list(bpy.data.objects):
        if is_scene_object(obj):
            removed.append(obj.name)
            remove_object(obj)
    return {"removed": sorted(removed)}
