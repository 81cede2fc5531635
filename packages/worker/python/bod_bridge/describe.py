"""Descriptions of objects, lights, camera, world and render settings, in the shapes of the
contracts' output schemas, and get_scene."""

import bpy

from .animation_channels import animation_field, describe_timeline
from .common import (
    LIGHT_TYPE_NAMES,
    PRIMITIVE_PROPERTY,
    degrees,
    linear_to_hex,
    rounded,
    scene,
)
from .compat import ENGINE_NAMES, blender_info
from .materials import describe_material
from .object_parts import describe_collections, describe_parts, world_matrix
from .registry import command
from .texture_nodes import describe_world_source

def mesh_dimensions(obj):
    """Bounding box size of a mesh without modifiers, from its vertices: no scene evaluation needed."""
    mesh = obj.data
    count = len(mesh.vertices)
    if count == 0:
        return [0.0, 0.0, 0.0]
    coordinates = [0.0] * (count * 3)
    mesh.vertices.foreach_get("co", coordinates)
    return [(max(coordinates[axis::3]) - min(coordinates[axis::3])) * abs(obj.scale[axis]) for axis in range(3)]


def object_dimensions(obj, refresh):
    if refresh and obj.type == "MESH" and len(obj.modifiers) == 0 and len(obj.data.vertices) <= 200_000:
        return mesh_dimensions(obj)
    if refresh:
        # Dimensions come from the evaluated scene: bring it up to date after a change. This costs
        # time in proportion to the scene after objects are added, so meshes are measured directly.
        bpy.context.view_layer.update()
    return list(obj.dimensions)


def describe_object(obj, refresh=True):
    record = {
        "name": obj.name,
        "type": obj.type,
        "location": rounded(obj.location),
        "rotation": degrees(obj.rotation_euler),
        "scale": rounded(obj.scale),
        "dimensions": rounded(object_dimensions(obj, refresh)),
        **animation_field(obj),
        "material": describe_material(obj.active_material) if hasattr(obj.data, "materials") else None,
    }
    primitive = obj.get(PRIMITIVE_PROPERTY)
    if primitive:
        record["primitive"] = str(primitive)
    if obj.type == "FONT":
        record["text"] = obj.data.body
    record.update(describe_parts(obj))
    return record


def describe_light(obj):
    record = {
        "name": obj.name,
        "type": LIGHT_TYPE_NAMES.get(obj.data.type, "point"),
        "location": rounded(obj.location),
        "rotation": degrees(obj.rotation_euler),
        "color": linear_to_hex(obj.data.color),
        "energy": round(obj.data.energy, 4),
        **animation_field(obj),
        "parent": obj.parent.name if obj.parent is not None else None,
    }
    if obj.parent is not None:
        record["worldLocation"] = rounded(world_matrix(obj).to_translation())
    return record


def describe_camera():
    camera = scene().camera
    if camera is None or camera.type != "CAMERA":
        return None
    return {
        "name": camera.name,
        "location": rounded(camera.location),
        "rotation": degrees(camera.rotation_euler),
        "lens": round(camera.data.lens, 4),
        **animation_field(camera),
        "dof": {
            "enabled": bool(camera.data.dof.use_dof),
            "focusObject": camera.data.dof.focus_object.name if camera.data.dof.focus_object is not None else None,
            "focusDistance": round(camera.data.dof.focus_distance, 4),
            "fStop": round(camera.data.dof.aperture_fstop, 4),
        },
    }


def world_background():
    world = scene().world
    if world is None:
        world = bpy.data.worlds.new("World")
        scene().world = world
    if not world.use_nodes:
        # Written only when needed: every write tags the scene for re-evaluation.
        world.use_nodes = True
    tree = world.node_tree
    node = next((n for n in tree.nodes if n.type == "BACKGROUND"), None)
    if node is None:
        node = tree.nodes.new("ShaderNodeBackground")
        output = next((n for n in tree.nodes if n.type == "OUTPUT_WORLD"), None) or tree.nodes.new("ShaderNodeOutputWorld")
        tree.links.new(node.outputs["Background"], output.inputs["Surface"])
    return world, node


def describe_world():
    world, node = world_background()
    record = {"color": linear_to_hex(node.inputs["Color"].default_value), "strength": round(node.inputs["Strength"].default_value, 4)}
    record.update(describe_world_source(world.node_tree, node))
    return record


def render_samples(s, engine):
    if engine == "cycles":
        return int(s.cycles.samples)
    if engine == "workbench":
        return int(s.display.render_aa) if s.display.render_aa.isdigit() else 1
    return int(s.eevee.taa_render_samples)


def describe_render():
    s = scene()
    engine = ENGINE_NAMES.get(s.render.engine, "eevee")
    return {
        "engine": engine,
        "width": int(s.render.resolution_x * s.render.resolution_percentage / 100),
        "height": int(s.render.resolution_y * s.render.resolution_percentage / 100),
        "samples": render_samples(s, engine),
    }


def is_scene_object(obj):
    return obj.type not in ("LIGHT", "CAMERA")


# ---------------------------------------------------------------------------------------------


@command("get_scene")
def get_scene(args):
    limit = int(args.get("limit") or 100)
    # The cursor is the name of the last object of the previous page (names are unique and pages
    # are in name order), so objects added or removed meanwhile never shift the pages after it.
    cursor = args.get("cursor")
    objects = sorted((o for o in bpy.data.objects if is_scene_object(o)), key=lambda o: o.name)
    after = [o for o in objects if o.name > cursor] if cursor else objects
    page = after[:limit]
    bpy.context.view_layer.update()
    result = {
        "objects": [describe_object(o, refresh=False) for o in page],
        "totalObjects": len(objects),
        "lights": [describe_light(o) for o in sorted((o for o in bpy.data.objects if o.type == "LIGHT"), key=lambda o: o.name)],
        "camera": describe_camera(),
        "world": describe_world(),
        "render": describe_render(),
        "timeline": describe_timeline(),
        "blender": blender_info(),
        "collections": describe_collections(),
    }
    if len(after) > limit:
        result["nextCursor"] = page[-1].name
    return result
