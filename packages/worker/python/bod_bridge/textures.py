"""Textures and world images: set_texture and remove_texture (an image as a material's base color,
roughness or normal map, laid on by smart UV project, a box projection or the mesh's own UVs),
set_world_hdri and set_world_sky.

The worker hands over each image as a local file (`path`) with the artifact it is (`artifactId`);
the image is packed into the .blend, so snapshots hold it and the file may go after the call.
Everything that can fail is checked before the scene changes, so a refused call leaves nothing."""

import math
import os

import bpy

from . import compat
from .channel import BridgeError
from .common import find_object
from .describe import describe_object, describe_world, world_background
from .materials import ensure_material, principled
from .objects import deselect_all
from .registry import command
from .texture_nodes import (
    ARTIFACT_PROPERTY,
    COLORSPACE_PROPERTY,
    ENV_COORDS_NODE,
    ENV_MAPPING_NODE,
    ENV_NODE,
    NORMAL_STRENGTH_NODE,
    PROJECTION_PROPERTY,
    SKY_EXPOSURE_NODE,
    SKY_NODE,
    SUN_ELEVATION_PROPERTY,
    SUN_ROTATION_PROPERTY,
    UV_NODE,
    describe_maps,
    map_node_name,
    mapping_node_name,
    remove_if_unused,
    remove_nodes,
)

#: Color space of each map's image: colors are display colors; roughness and normals are data.
MAP_COLORSPACES = {"base_color": "sRGB", "roughness": "Non-Color", "normal": "Non-Color"}
#: Principled BSDF input each map drives (the same names in 3.4 and 4.x).
MAP_INPUTS = {"base_color": "Base Color", "roughness": "Roughness", "normal": "Normal"}
#: Smart UV project's angle limit: Blender's default, 66 degrees.
SMART_UV_ANGLE = math.radians(66.0)
SMART_UV_MARGIN = 0.02
#: What a Nishita sky is scaled by (see set_world_sky).
NISHITA_EXPOSURE = 0.05


# ---------------------------------------------------------------------------------------------
# Images


def load_image(artifact_id, path, colorspace=None):
    """The image of `artifact_id` in `colorspace` ("sRGB", "Non-Color", or None for Blender's
    choice), loaded from `path` and packed unless the scene has it already."""
    key = colorspace or "auto"
    for image in bpy.data.images:
        if image.get(ARTIFACT_PROPERTY) == artifact_id and image.get(COLORSPACE_PROPERTY) == key:
            return image
    if not path or not os.path.exists(path):
        raise BridgeError("artifact_not_found", "The image %s is missing." % artifact_id, {"artifactId": artifact_id})
    try:
        image = bpy.data.images.load(path, check_existing=False)
    except RuntimeError as error:
        raise BridgeError("unsupported_format", "Blender could not read the image %s (%s)." % (artifact_id, str(error).strip()[:200]))
    # Reading the size decodes the file: a file Blender cannot decode has no pixels.
    if image.size[0] == 0 or image.size[1] == 0:
        bpy.data.images.remove(image)
        raise BridgeError("unsupported_format", "Blender could not decode the image %s; upload a valid PNG, JPEG, HDR or EXR file." % artifact_id)
    # One image per artifact and color space, named so that get_scene's readers can tell them apart.
    image.name = artifact_id + {"sRGB": "", "Non-Color": " (data)"}.get(key, " (as is)")
    image[ARTIFACT_PROPERTY] = artifact_id
    image[COLORSPACE_PROPERTY] = key
    if colorspace is not None:
        image.colorspace_settings.name = colorspace
    try:
        image.pack()
    except RuntimeError as error:
        bpy.data.images.remove(image)
        raise BridgeError("unsupported_format", "Blender could not keep the image %s (%s)." % (artifact_id, str(error).strip()[:200]))
    return image


# ---------------------------------------------------------------------------------------------
# UV projections


def box_project(obj):
    """Box (cube) projection into the mesh's active UV map: each face takes the image from the side
    of a box its normal faces most, seen from outside, one image across the object's largest side.
    Measured with the object's scale, so a stretched cube gets square texels."""
    mesh = obj.data
    uv_layer = mesh.uv_layers.active or mesh.uv_layers.new(name="UVMap")
    scale = [abs(s) or 1.0 for s in obj.scale]
    coords = [[v.co[axis] * scale[axis] for axis in range(3)] for v in mesh.vertices]
    if not coords:
        return
    low = [min(c[axis] for c in coords) for axis in range(3)]
    high = [max(c[axis] for c in coords) for axis in range(3)]
    size = max(high[axis] - low[axis] for axis in range(3)) or 1.0
    # Per dominant axis and side: which two axes become u and v, and whether u runs backwards, so
    # that every side reads the right way round from outside.
    layout = {
        (0, True): (1, False, 2),
        (0, False): (1, True, 2),
        (1, True): (0, True, 2),
        (1, False): (0, False, 2),
        (2, True): (0, False, 1),
        (2, False): (0, True, 1),
    }
    loops = mesh.loops
    data = uv_layer.data
    for polygon in mesh.polygons:
        # A normal under a non-uniform scale: divide by the scale.
        normal = [polygon.normal[axis] / scale[axis] for axis in range(3)]
        axis = max(range(3), key=lambda a: abs(normal[a]))
        u_axis, u_backwards, v_axis = layout[(axis, normal[axis] >= 0)]
        for index in polygon.loop_indices:
            c = coords[loops[index].vertex_index]
            u = (high[u_axis] - c[u_axis]) if u_backwards else (c[u_axis] - low[u_axis])
            data[index].uv = (u / size, (c[v_axis] - low[v_axis]) / size)


def smart_uv_project(obj):
    """Blender's smart UV project into the mesh's active UV map (it needs edit mode)."""
    mesh = obj.data
    if not mesh.uv_layers:
        mesh.uv_layers.new(name="UVMap")
    view_layer = bpy.context.view_layer
    # Blender 4.x and later bring the view layer's objects up to date lazily: an object linked in
    # this session is in it only after an update.
    view_layer.update()
    if obj.name not in view_layer.objects:
        raise BridgeError("invalid_arguments", '"%s" is not in the scene\'s view layer, so it cannot be unwrapped.' % obj.name)
    deselect_all()
    view_layer.objects.active = obj
    try:
        obj.select_set(True)
        bpy.ops.object.mode_set(mode="EDIT")
        try:
            bpy.ops.mesh.select_all(action="SELECT")
            bpy.ops.uv.smart_project(angle_limit=SMART_UV_ANGLE, island_margin=SMART_UV_MARGIN)
        finally:
            bpy.ops.object.mode_set(mode="OBJECT")
    except RuntimeError as error:
        raise BridgeError(
            "invalid_arguments",
            'Blender could not unwrap "%s" with smart_uv (%s); try projection box.' % (obj.name, str(error).strip()[:200]),
        )
    finally:
        obj.select_set(False)


def check_projection(obj, projection):
    if obj.type != "MESH":
        raise BridgeError(
            "invalid_arguments",
            'set_texture needs a mesh; "%s" is a %s. Texture a mesh object (cube, plane, sphere, an imported model).'
            % (obj.name, obj.type),
        )
    if projection == "existing" and not obj.data.uv_layers:
        raise BridgeError(
            "invalid_arguments", '"%s" has no UV map; use projection smart_uv or box.' % obj.name, {"object": obj.name}
        )


def resolve_projection(obj, projection):
    """The projection asked for, or the default: the mesh's own UVs when it has some, else a box."""
    if projection is not None:
        return projection
    return "existing" if obj.type == "MESH" and obj.data.uv_layers else "box"


def project(obj, projection):
    if projection == "smart_uv":
        smart_uv_project(obj)
    elif projection == "box":
        box_project(obj)


# ---------------------------------------------------------------------------------------------
# Material maps


def wire_map(material, name, image, scale, strength, projection):
    """Sets map `name` of `material` to `image`: Texture Coordinate (UV) -> Mapping -> Image -> BSDF."""
    tree = material.node_tree
    nodes, links = tree.nodes, tree.links
    bsdf = principled(material)

    def node(node_name, kind, x, y):
        found = nodes.get(node_name)
        if found is None or found.bl_idname != kind:
            if found is not None:
                nodes.remove(found)
            found = nodes.new(kind)
            found.name = node_name
            found.label = node_name
        found.location = (bsdf.location[0] + x, bsdf.location[1] + y)
        return found

    row = {"base_color": 0, "roughness": -300, "normal": -600}[name]
    coords = node(UV_NODE, "ShaderNodeTexCoord", -1100, -200)
    mapping = node(mapping_node_name(name), "ShaderNodeMapping", -850, row)
    mapping.inputs["Scale"].default_value = (scale, scale, 1.0)
    links.new(coords.outputs["UV"], mapping.inputs["Vector"])
    texture = node(map_node_name(name), "ShaderNodeTexImage", -600, row)
    previous = texture.image
    texture.image = image
    texture.extension = "REPEAT"
    texture[PROJECTION_PROPERTY] = projection
    if previous is not None and previous != image:
        remove_if_unused(previous)
    links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    if name == "normal":
        normal_map = node(NORMAL_STRENGTH_NODE, "ShaderNodeNormalMap", -300, row)
        normal_map.inputs["Strength"].default_value = strength
        links.new(texture.outputs["Color"], normal_map.inputs["Color"])
        links.new(normal_map.outputs["Normal"], bsdf.inputs["Normal"])
    else:
        links.new(texture.outputs["Color"], bsdf.inputs[MAP_INPUTS[name]])


def texture_result(obj, name):
    described = describe_object(obj)
    maps = (described.get("material") or {}).get("maps") or describe_maps(obj.active_material)
    texture = next((m for m in maps if m["map"] == name), None)
    return {"object": described, "texture": texture}


@command("set_texture")
def set_texture(args):
    obj = find_object(args["object"])
    name = args["map"]
    if name not in MAP_COLORSPACES:
        raise BridgeError("invalid_arguments", "Unknown map %s; use base_color, roughness or normal." % name)
    projection = resolve_projection(obj, args.get("projection"))
    check_projection(obj, projection)
    image = load_image(args["artifactId"], args.get("path"), MAP_COLORSPACES[name])
    try:
        project(obj, projection)
    except BridgeError:
        remove_if_unused(image)
        raise
    scale = args.get("scale")
    # The worker sends a uniform scale as [s, s, s].
    if isinstance(scale, (list, tuple)):
        scale = scale[0]
    strength = args.get("strength")
    material = ensure_material(obj)
    wire_map(material, name, image, float(scale if scale is not None else 1.0), float(strength if strength is not None else 1.0), projection)
    return texture_result(obj, name)


@command("check_texture")
def check_texture(args):
    """Whether set_texture can texture the object as asked, changing nothing: the worker asks before
    it stores an upload, so a call refused for its object keeps nothing."""
    obj = find_object(args["object"])
    if args.get("map") not in MAP_COLORSPACES:
        raise BridgeError("invalid_arguments", "Unknown map %s; use base_color, roughness or normal." % args.get("map"))
    projection = resolve_projection(obj, args.get("projection"))
    check_projection(obj, projection)
    return {"projection": projection}


@command("remove_texture")
def remove_texture(args):
    obj = find_object(args["object"])
    name = args["map"]
    material = obj.active_material if obj.type == "MESH" else None
    if material is None or not material.use_nodes or material.node_tree.nodes.get(map_node_name(name)) is None:
        raise BridgeError(
            "invalid_arguments",
            '"%s" has no %s map. Its maps: %s.'
            % (obj.name, name, ", ".join(m["map"] for m in describe_maps(material)) or "none"),
        )
    remove_nodes(material.node_tree, [map_node_name(name), mapping_node_name(name)] + ([NORMAL_STRENGTH_NODE] if name == "normal" else []))
    if not any(n.name.startswith("bod_map_") for n in material.node_tree.nodes):
        remove_nodes(material.node_tree, [UV_NODE])
    return {"object": describe_object(obj)}


# ---------------------------------------------------------------------------------------------
# World


def world_node(tree, node_name, kind, location):
    found = tree.nodes.get(node_name)
    if found is None or found.bl_idname != kind:
        if found is not None:
            tree.nodes.remove(found)
        found = tree.nodes.new(kind)
        found.name = node_name
        found.label = node_name
    found.location = location
    return found


@command("set_world_hdri")
def set_world_hdri(args):
    image = load_image(args["artifactId"], args.get("path"))
    world, background = world_background()
    tree = world.node_tree
    remove_nodes(tree, (SKY_NODE, SKY_EXPOSURE_NODE))
    x, y = background.location
    coords = world_node(tree, ENV_COORDS_NODE, "ShaderNodeTexCoord", (x - 750, y))
    mapping = world_node(tree, ENV_MAPPING_NODE, "ShaderNodeMapping", (x - 550, y))
    environment = world_node(tree, ENV_NODE, "ShaderNodeTexEnvironment", (x - 300, y))
    rotation = float(args.get("rotation") or 0.0)
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(rotation))
    previous = environment.image
    environment.image = image
    if previous is not None and previous != image:
        remove_if_unused(previous)
    tree.links.new(coords.outputs["Generated"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], environment.inputs["Vector"])
    tree.links.new(environment.outputs["Color"], background.inputs["Color"])
    strength = args.get("strength")
    background.inputs["Strength"].default_value = float(strength if strength is not None else 1.0)
    return {"world": describe_world()}


def sky_type_id(name):
    identifier = compat.sky_type_id(name)
    if identifier is None:
        raise BridgeError("invalid_arguments", "This Blender has no %s sky; its sky models: %s." % (name, ", ".join(compat.sky_type_ids())))
    return identifier


@command("set_world_sky")
def set_world_sky(args):
    sky_name = args.get("type") or "nishita"
    identifier = sky_type_id(sky_name)
    elevation = float(args["sunElevation"])
    rotation = float(args["sunRotation"])
    world, background = world_background()
    tree = world.node_tree
    remove_nodes(tree, (ENV_NODE, ENV_MAPPING_NODE, ENV_COORDS_NODE))
    x, y = background.location
    sky = world_node(tree, SKY_NODE, "ShaderNodeTexSky", (x - 350, y))
    sky.sky_type = identifier
    if identifier == "HOSEK_WILKIE":
        # This model takes a direction: rotation 0 puts the sun towards +Y, turning counter-clockwise.
        cos_elevation = math.cos(math.radians(elevation))
        sky.sun_direction = (
            -math.sin(math.radians(rotation)) * cos_elevation,
            math.cos(math.radians(rotation)) * cos_elevation,
            math.sin(math.radians(elevation)),
        )
    else:
        sky.sun_elevation = math.radians(elevation)
        sky.sun_rotation = math.radians(rotation)
    sky[SUN_ELEVATION_PROPERTY] = elevation
    sky[SUN_ROTATION_PROPERTY] = rotation
    if identifier == "HOSEK_WILKIE":
        remove_nodes(tree, (SKY_EXPOSURE_NODE,))
        tree.links.new(sky.outputs["Color"], background.inputs["Color"])
    else:
        # Nishita's sky is in physical units, some twenty times brighter than the Standard view shows
        # without clipping to white: scaled here, strength 1 is a daylight sky as Hosek-Wilkie's is.
        exposure = world_node(tree, SKY_EXPOSURE_NODE, "ShaderNodeVectorMath", (x - 120, y))
        exposure.operation = "SCALE"
        exposure.inputs["Scale"].default_value = NISHITA_EXPOSURE
        tree.links.new(sky.outputs["Color"], exposure.inputs[0])
        tree.links.new(exposure.outputs["Vector"], background.inputs["Color"])
    strength = args.get("strength")
    background.inputs["Strength"].default_value = float(strength if strength is not None else 1.0)
    return {"world": describe_world()}
