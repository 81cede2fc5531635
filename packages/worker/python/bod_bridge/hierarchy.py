"""Hierarchy: parenting (set_parent), groups (create_group: an Empty that parents its members) and
collections (create_collection, move_to_collection, set_collection_visibility)."""

import bpy
from mathutils import Vector

from .channel import BridgeError
from .common import ensure_name_free, find_object, scene
from .describe import describe_object
from .object_parts import (
    SCENE_COLLECTION,
    ancestors,
    attach,
    describe_collection,
    descendants,
    find_collection,
    world_matrix,
)
from .registry import command


def check_parent(obj, parent):
    if parent == obj:
        raise BridgeError("invalid_arguments", '"%s" cannot be its own parent.' % obj.name)
    if obj in ancestors(parent):
        raise BridgeError(
            "invalid_arguments",
            '"%s" is already below "%s" in the hierarchy; an object cannot be its own ancestor. Detach "%s" first (set_parent with parent null).'
            % (parent.name, obj.name, parent.name),
        )


@command("set_parent")
def set_parent(args):
    obj = find_object(args["object"])
    parent = find_object(args["parent"]) if args.get("parent") is not None else None
    if parent is not None:
        check_parent(obj, parent)
    if obj.parent != parent:
        attach(obj, parent)
    return {"object": describe_object(obj)}


def link_like(obj, model):
    """Puts a new object in the collection `model` is in."""
    collections = list(model.users_collection) or [scene().collection]
    collections[0].objects.link(obj)


@command("create_group")
def create_group(args):
    name = args["name"]
    ensure_name_free(name)
    members = [find_object(member) for member in args["objects"]]
    if args.get("location") is not None:
        origin = Vector(args["location"])
    else:
        total = Vector((0.0, 0.0, 0.0))
        for member in members:
            total += world_matrix(member).to_translation()
        origin = total / len(members)
    group = bpy.data.objects.new(name, None)
    group.empty_display_type = "PLAIN_AXES"
    group.empty_display_size = 0.5
    link_like(group, members[0])
    group.location = origin
    listed = set(members)
    for member in members:
        # A member below another member keeps that parent, so the group's structure stays.
        if any(ancestor in listed for ancestor in ancestors(member)):
            continue
        attach(member, group)
    return {"group": describe_object(group)}


@command("create_collection")
def create_collection(args):
    name = args["name"]
    if name == SCENE_COLLECTION or bpy.data.collections.get(name) is not None:
        raise BridgeError("name_taken", 'A collection named "%s" already exists; choose another name.' % name, {"name": name})
    if len(name.encode("utf-8")) > 63:
        raise BridgeError("invalid_arguments", 'The name "%s" is too long: Blender names are at most 63 bytes in UTF-8.' % name)
    collection = bpy.data.collections.new(name)
    scene().collection.children.link(collection)
    return {"collection": describe_collection(collection)}


@command("move_to_collection")
def move_to_collection(args):
    target = find_collection(args["collection"])
    moving = []
    for name in args["objects"]:
        obj = find_object(name)
        for item in [obj] + descendants(obj):
            if item not in moving:
                moving.append(item)
    for obj in moving:
        for collection in list(obj.users_collection):
            if collection != target:
                collection.objects.unlink(obj)
        if target not in obj.users_collection:
            target.objects.link(obj)
    return {"collection": describe_collection(target), "moved": [obj.name for obj in moving]}


@command("set_collection_visibility")
def set_collection_visibility(args):
    name = args["collection"]
    if name == SCENE_COLLECTION:
        raise BridgeError(
            "invalid_arguments",
            'The scene\'s own collection cannot be hidden; move objects into a collection (create_collection, move_to_collection) and hide that.',
        )
    collection = find_collection(name)
    hidden = bool(args["hidden"])
    collection.hide_render = hidden
    collection.hide_viewport = hidden
    return {"collection": describe_collection(collection)}
