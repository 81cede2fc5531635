"""The nodes set_texture and the world-image commands add, by name, and how get_scene reads them back.

A material's map M is an Image Texture node named "bod_map_M" fed by a Mapping node
"bod_map_M_mapping" (its scale tiles the image) from one Texture Coordinate node "bod_uv"; a normal
map goes through a Normal Map node "bod_map_normal_strength". The world's image is an Environment
Texture "bod_env" behind a Mapping "bod_env_mapping" (its Z rotation turns the image) from a
Texture Coordinate "bod_env_coords"; its sky is a Sky Texture "bod_sky" (a Nishita sky scaled by a
Vector Math node "bod_sky_exposure"). Images carry the artifact
they came from (ARTIFACT_PROPERTY) and are packed into the .blend, so snapshots hold them."""

import math

import bpy

#: The maps of the contracts' TEXTURE_MAPS, in the order get_scene lists them.
TEXTURE_MAPS = ("base_color", "roughness", "normal")
#: Custom property of an image: the artifact id it was loaded from.
ARTIFACT_PROPERTY = "bod_artifact"
#: Custom property of an image: the color space it was loaded for ("sRGB", "Non-Color", "auto").
COLORSPACE_PROPERTY = "bod_colorspace"
#: Custom property of a map's image node: the projection the mesh's UVs came from.
PROJECTION_PROPERTY = "bod_projection"
#: Custom properties of the sky node: the sun's elevation and rotation as given, in degrees.
SUN_ELEVATION_PROPERTY = "bod_sun_elevation"
SUN_ROTATION_PROPERTY = "bod_sun_rotation"

UV_NODE = "bod_uv"
ENV_NODE = "bod_env"
ENV_MAPPING_NODE = "bod_env_mapping"
ENV_COORDS_NODE = "bod_env_coords"
SKY_NODE = "bod_sky"
SKY_EXPOSURE_NODE = "bod_sky_exposure"


def map_node_name(name):
    return "bod_map_" + name


def mapping_node_name(name):
    return "bod_map_%s_mapping" % name


NORMAL_STRENGTH_NODE = "bod_map_normal_strength"


def image_artifact(image):
    return str(image.get(ARTIFACT_PROPERTY, image.name)) if image is not None else None


def remove_if_unused(image):
    """Drops an image no node uses any more, so its pixels leave memory now rather than at the next save."""
    if image is not None and image.users == 0:
        bpy.data.images.remove(image)


def remove_nodes(tree, names):
    """Removes the named nodes of `tree` (those present) and any image only they used."""
    for name in names:
        node = tree.nodes.get(name)
        if node is None:
            continue
        image = getattr(node, "image", None)
        tree.nodes.remove(node)
        remove_if_unused(image)


def describe_maps(material):
    """The material's image maps, [{map, artifactId, projection, scale, strength?}], in TEXTURE_MAPS order."""
    if material is None or not material.use_nodes or material.node_tree is None:
        return []
    nodes = material.node_tree.nodes
    maps = []
    for name in TEXTURE_MAPS:
        node = nodes.get(map_node_name(name))
        if node is None or node.type != "TEX_IMAGE" or node.image is None:
            continue
        mapping = nodes.get(mapping_node_name(name))
        scale = mapping.inputs["Scale"].default_value[0] if mapping is not None else 1.0
        record = {
            "map": name,
            "artifactId": image_artifact(node.image),
            "projection": str(node.get(PROJECTION_PROPERTY, "existing")),
            "scale": round(float(scale), 4),
        }
        if name == "normal":
            strength = nodes.get(NORMAL_STRENGTH_NODE)
            record["strength"] = round(float(strength.inputs["Strength"].default_value), 4) if strength is not None else 1.0
        maps.append(record)
    return maps


def color_source(background):
    """The node feeding the Background's Color input, or None."""
    links = background.inputs["Color"].links
    node = links[0].from_node if links else None
    if node is not None and node.name == SKY_EXPOSURE_NODE:
        links = node.inputs[0].links
        node = links[0].from_node if links else None
    return node


def describe_world_source(tree, background):
    """What the world's background shows: {"kind": "color"}, or hdri/sky with their settings."""
    source = color_source(background)
    if source is not None and source.type == "TEX_ENVIRONMENT" and source.image is not None:
        mapping = tree.nodes.get(ENV_MAPPING_NODE)
        rotation = math.degrees(mapping.inputs["Rotation"].default_value[2]) if mapping is not None else 0.0
        return {"kind": "hdri", "hdri": {"artifactId": image_artifact(source.image), "rotation": round(rotation, 4)}}
    if source is not None and source.type == "TEX_SKY":
        sky_type = "hosek_wilkie" if source.sky_type == "HOSEK_WILKIE" else "nishita"
        elevation = source.get(SUN_ELEVATION_PROPERTY)
        rotation = source.get(SUN_ROTATION_PROPERTY)
        return {
            "kind": "sky",
            "sky": {
                "type": sky_type,
                "sunElevation": round(float(elevation if elevation is not None else math.degrees(source.sun_elevation)), 4),
                "sunRotation": round(float(rotation if rotation is not None else math.degrees(source.sun_rotation)), 4),
            },
        }
    return {"kind": "color"}


def clear_world_source(tree, background):
    """Back to a plain color world: the image or sky nodes go, and nothing feeds the Background's Color."""
    remove_nodes(tree, (ENV_NODE, ENV_MAPPING_NODE, ENV_COORDS_NODE, SKY_NODE, SKY_EXPOSURE_NODE))
    for link in list(background.inputs["Color"].links):
        tree.links.remove(link)
