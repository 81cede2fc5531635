"""Constants and small helpers every command module uses: colors, rotations, object lookup and
removal. Colors arrive as linear RGB triples; rotations are degrees; scale is always [x, y, z]."""

import math
import os

import bpy
from mathutils import Euler, Vector

from .channel import BridgeError

#: Custom property that records the add_object type an object was created as.
PRIMITIVE_PROPERTY = "bod_primitive"
#: Custom property on the camera: the point it was last aimed at.
TARGET_PROPERTY = "bod_target"
#: Custom property on the scene: the last journal entry a snapshot contains.
JOURNAL_SEQ_PROPERTY = "bod_journal_seq"
#: Custom property on the scene: the idempotency keys (JSON text) of the changes a snapshot holds,
#: so that they outlive the journal entries the snapshot replaces.
IDEMPOTENCY_KEYS_PROPERTY = "bod_idempotency_keys"

DEFAULT_CAMERA_LOCATION = (7.0, -7.0, 5.0)
DEFAULT_LIGHT_LOCATION = (4.0, 1.0, 6.0)
DEFAULT_WORLD_COLOR = (0.0509, 0.0509, 0.0509)
DEFAULT_RENDER = {"engine": "eevee", "width": 960, "height": 540, "samples": 32}

LIGHT_TYPE_IDS = {"point": "POINT", "sun": "SUN", "spot": "SPOT", "area": "AREA"}
LIGHT_TYPE_NAMES = {value: key for key, value in LIGHT_TYPE_IDS.items()}
DEFAULT_LIGHT_ENERGY = {"point": 1000.0, "sun": 5.0, "spot": 1000.0, "area": 500.0}

TEST_HOOKS = os.environ.get("BOD_BRIDGE_TEST_HOOKS") == "1"


def linear_to_srgb(channel):
    c = min(1.0, max(0.0, channel))
    return c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def linear_to_hex(rgb):
    return "#" + "".join("%02x" % round(linear_to_srgb(c) * 255) for c in list(rgb)[:3])


def rounded(values, digits=6):
    return [round(float(v), digits) for v in values]


def degrees(euler):
    return [round(math.degrees(a), 4) for a in euler]


def radians(values):
    return Euler([math.radians(float(v)) for v in values], "XYZ")


def aim_rotation(location, target):
    """The rotation that points an object's -Z axis (cameras, lights) from location at target."""
    direction = Vector(target) - Vector(location)
    if direction.length < 1e-9:
        return Euler((0.0, 0.0, 0.0), "XYZ")
    return direction.to_track_quat("-Z", "Y").to_euler("XYZ")


def existing_names():
    return sorted(o.name for o in bpy.data.objects)


def find_object(name):
    obj = bpy.data.objects.get(name)
    if obj is None:
        names = existing_names()
        listed = ", ".join(names[:50]) + (" ..." if len(names) > 50 else "")
        raise BridgeError(
            "object_not_found",
            'No object named "%s". Existing objects: %s.' % (name, listed or "none"),
            {"name": name, "existing": names[:200]},
        )
    return obj


def ensure_name_free(name):
    if name is not None and len(name.encode("utf-8")) > 63:
        # Blender would silently cut the name at 63 bytes.
        raise BridgeError("invalid_arguments", 'The name "%s" is too long: Blender names are at most 63 bytes in UTF-8.' % name)
    if name is not None and bpy.data.objects.get(name) is not None:
        raise BridgeError("name_taken", 'An object named "%s" already exists; choose another name.' % name, {"name": name})


def scene():
    return bpy.context.scene


def link_to_scene(obj):
    scene().collection.objects.link(obj)


def remove_object(obj):
    """Removes an object and whatever data only it used, so names stay reusable and files small."""
    data = obj.data
    materials = [slot.material for slot in obj.material_slots if slot.material is not None]
    bpy.data.objects.remove(obj, do_unlink=True)
    if data is not None and data.users == 0:
        remove_datablock(data)
    for material in materials:
        if material.users == 0:
            bpy.data.materials.remove(material)


def remove_datablock(data):
    for collection in (bpy.data.meshes, bpy.data.curves, bpy.data.lights, bpy.data.cameras):
        if data.name in collection and collection[data.name] == data:
            collection.remove(data)
            return


# ---------------------------------------------------------------------------------------------
