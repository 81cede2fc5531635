"""Modifiers: add_modifier, update_modifier and remove_modifier. The settings of each type, and how
get_scene reads them, are in object_parts.py."""

import bpy

from .channel import BridgeError
from .common import find_object
from .describe import describe_object
from .object_parts import (
    MODIFIER_DEFAULTS,
    MODIFIER_SETTINGS,
    MODIFIER_TYPE_IDS,
    MODIFIER_TYPE_NAMES,
    show_cutter_if_unused,
    write_modifier_settings,
)
from .registry import command

#: Object types that take modifiers at all; Blender refuses boolean and displace on text and curves.
MODIFIABLE_TYPES = ("MESH", "CURVE", "FONT")


def given_settings(args, kind):
    """The settings in args, refused when they do not belong to `kind`."""
    allowed = MODIFIER_SETTINGS[kind]
    settings = {}
    for names in MODIFIER_SETTINGS.values():
        for name in names:
            if args.get(name) is None:
                continue
            if name not in allowed:
                raise BridgeError(
                    "invalid_arguments",
                    "`%s` is not a %s setting; %s takes %s." % (name, kind, kind, ", ".join(allowed)),
                    {"field": name, "allowed": list(allowed)},
                )
            settings[name] = args[name]
    return settings


def find_modifier(obj, name):
    modifier = obj.modifiers.get(name)
    if modifier is None:
        names = [m.name for m in obj.modifiers]
        raise BridgeError(
            "invalid_arguments",
            '"%s" has no modifier named "%s". Its modifiers: %s.' % (obj.name, name, ", ".join(names) if names else "none"),
            {"object": obj.name, "modifier": name, "existing": names},
        )
    return modifier


@command("add_modifier")
def add_modifier(args):
    obj = find_object(args["object"])
    kind = args["type"]
    if obj.type not in MODIFIABLE_TYPES:
        raise BridgeError(
            "invalid_arguments",
            'Modifiers change meshes, text and curves; "%s" is a %s.' % (obj.name, obj.type),
            {"object": obj.name, "type": obj.type},
        )
    name = args.get("name") or kind.capitalize()
    if args.get("name") is not None and obj.modifiers.get(name) is not None:
        raise BridgeError("name_taken", '"%s" already has a modifier named "%s"; choose another name.' % (obj.name, name), {"name": name})
    settings = dict(MODIFIER_DEFAULTS[kind])
    settings.update(given_settings(args, kind))
    if kind == "boolean" and settings.get("with") is None:
        raise BridgeError("invalid_arguments", "A boolean needs `with`: the mesh object to cut with.")
    modifier = obj.modifiers.new(name, MODIFIER_TYPE_IDS[kind])
    if modifier is None:
        raise BridgeError(
            "invalid_arguments",
            'Blender cannot add a %s modifier to "%s", a %s; %s modifiers work on meshes.' % (kind, obj.name, obj.type, kind),
            {"object": obj.name, "type": obj.type},
        )
    try:
        write_modifier_settings(obj, modifier, kind, settings)
    except Exception:
        # Nothing half-done: a modifier whose settings were refused (or failed) goes again.
        texture = getattr(modifier, "texture", None)
        obj.modifiers.remove(modifier)
        if texture is not None and texture.users == 0:
            bpy.data.textures.remove(texture)
        raise
    return {"object": describe_object(obj)}


@command("update_modifier")
def update_modifier(args):
    obj = find_object(args["object"])
    modifier = find_modifier(obj, args["modifier"])
    kind = MODIFIER_TYPE_NAMES.get(modifier.type)
    new_name = args.get("newName")
    if kind is None:
        raise BridgeError(
            "invalid_arguments",
            'The modifier "%s" is a Blender %s modifier, which update_modifier does not change; remove_modifier removes it.'
            % (modifier.name, modifier.type),
        )
    settings = given_settings(args, kind)
    if new_name is not None and new_name != modifier.name and obj.modifiers.get(new_name) is not None:
        raise BridgeError("name_taken", '"%s" already has a modifier named "%s"; choose another name.' % (obj.name, new_name), {"name": new_name})
    write_modifier_settings(obj, modifier, kind, settings)
    if new_name is not None:
        modifier.name = new_name
    return {"object": describe_object(obj)}


@command("remove_modifier")
def remove_modifier(args):
    obj = find_object(args["object"])
    modifier = find_modifier(obj, args["modifier"])
    cutter = modifier.object if modifier.type == "BOOLEAN" else None
    texture = modifier.texture if modifier.type == "DISPLACE" else None
    obj.modifiers.remove(modifier)
    show_cutter_if_unused(cutter)
    if texture is not None and texture.users == 0:
        bpy.data.textures.remove(texture)
    return {"object": describe_object(obj)}
