"""Materials: the Principled BSDF every object's own material is built around."""

import bpy

from .channel import BridgeError
from . import compat
from .common import linear_to_hex
from .texture_nodes import describe_maps
from .compat import emission_color_input, set_material_transparency

def find_principled(material):
    """The material's Principled BSDF node, or None; changes nothing."""
    if not material.use_nodes or material.node_tree is None:
        return None
    return next((node for node in material.node_tree.nodes if node.type == "BSDF_PRINCIPLED"), None)


def principled(material):
    """The material's Principled BSDF node, added and wired to the output when missing."""
    if not material.use_nodes:
        material.use_nodes = True
    for node in material.node_tree.nodes:
        if node.type == "BSDF_PRINCIPLED":
            return node
    node = material.node_tree.nodes.new("ShaderNodeBsdfPrincipled")
    output = next((n for n in material.node_tree.nodes if n.type == "OUTPUT_MATERIAL"), None)
    if output is None:
        output = material.node_tree.nodes.new("ShaderNodeOutputMaterial")
    material.node_tree.links.new(node.outputs["BSDF"], output.inputs["Surface"])
    return node


def ensure_material(obj):
    """The object's own material, created (Principled, white) when it has none."""
    if obj.data is None or not hasattr(obj.data, "materials"):
        raise BridgeError("invalid_arguments", '"%s" is a %s and has no material.' % (obj.name, obj.type))
    material = obj.active_material
    if material is not None and material.users > 1:
        # Shared (as imports often are): give this object its own copy so others keep their look.
        material = material.copy()
        obj.active_material = material
    if material is None:
        material = bpy.data.materials.new(obj.name)
        material.use_nodes = True
        compat.clear_principled_emission(principled(material))
        if len(obj.data.materials):
            obj.data.materials[0] = material
        else:
            obj.data.materials.append(material)
    principled(material)
    return material


def set_base_color(material, rgb):
    node = principled(material)
    color = (float(rgb[0]), float(rgb[1]), float(rgb[2]), 1.0)
    node.inputs["Base Color"].default_value = color
    material.diffuse_color = color


def set_alpha(material, alpha):
    principled(material).inputs["Alpha"].default_value = alpha
    set_material_transparency(material, alpha < 1.0)
    diffuse = list(material.diffuse_color)
    material.diffuse_color = (diffuse[0], diffuse[1], diffuse[2], alpha)


def describe_material(material):
    if material is None:
        return None
    node = find_principled(material)
    if node is None:
        return {
            "name": material.name,
            "baseColor": linear_to_hex(material.diffuse_color),
            "metallic": round(material.metallic, 4),
            "roughness": round(material.roughness, 4),
            "emissionColor": "#000000",
            "emissionStrength": 0.0,
            "alpha": round(material.diffuse_color[3], 4),
        }
    inputs = node.inputs
    record = {
        "name": material.name,
        "baseColor": linear_to_hex(inputs["Base Color"].default_value),
        "metallic": round(inputs["Metallic"].default_value, 4),
        "roughness": round(inputs["Roughness"].default_value, 4),
        "emissionColor": linear_to_hex(emission_color_input(node).default_value),
        "emissionStrength": round(inputs["Emission Strength"].default_value, 4),
        "alpha": round(inputs["Alpha"].default_value, 4),
    }
    # Listed only when there are any: most materials have none, and every get_scene carries them.
    maps = describe_maps(material)
    if maps:
        record["maps"] = maps
    return record


# ---------------------------------------------------------------------------------------------
