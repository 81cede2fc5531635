# The bridge that runs inside headless Blender and carries out scene commands for the worker.
#
# Blender runs it through bridge.py (`blender -b --factory-startup --python bridge.py`), which
# imports this module and calls main(); `bod bench worker` imports it to time the same handlers in
# a plain Blender. It speaks the protocol of src/blender/bridge-protocol.ts: JSON, one message per
# line, requests read from fd 3, responses and events written to fd 4 (or, for a Blender that
# `bod serve` started ahead of its worker, the FIFOs BOD_BRIDGE_CHANNEL + "-requests" and
# "-responses"). Blender's stdout and stderr stay for Blender's own logs.
#
# It serves one command at a time in a blocking loop and never evaluates code it receives: every
# command is a fixed function below with typed arguments, already validated by the worker.
# Colors arrive as linear RGB triples; rotations are degrees; scale is always [x, y, z].

import json
import math
import os
import sys
import threading
import time
import traceback

import bmesh
import bpy
from mathutils import Euler, Vector

REQUEST_FD = 3
RESPONSE_FD = 4

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

ENGINE_IDS = {"eevee": "BLENDER_EEVEE", "cycles": "CYCLES", "workbench": "BLENDER_WORKBENCH"}
ENGINE_NAMES = {value: key for key, value in ENGINE_IDS.items()}
LIGHT_TYPE_IDS = {"point": "POINT", "sun": "SUN", "spot": "SPOT", "area": "AREA"}
LIGHT_TYPE_NAMES = {value: key for key, value in LIGHT_TYPE_IDS.items()}
DEFAULT_LIGHT_ENERGY = {"point": 1000.0, "sun": 5.0, "spot": 1000.0, "area": 500.0}

TEST_HOOKS = os.environ.get("BOD_BRIDGE_TEST_HOOKS") == "1"

_write_lock = threading.Lock()


def restore_numpy_aliases():
    """Blender 3.4's glTF importer uses numpy aliases (np.bool, ...) that newer numpy removed.

    Called before a glTF import rather than at start-up: importing numpy takes a noticeable part
    of Blender's boot, which is every cold start's long pole."""
    try:
        import numpy
    except ImportError:
        return
    for alias, builtin in (("bool", bool), ("int", int), ("float", float), ("object", object), ("complex", complex), ("str", str)):
        if alias not in numpy.__dict__:
            setattr(numpy, alias, builtin)


_response_stream = None


class BridgeError(Exception):
    """A command failure the caller can act on; `code` is one of the contracts' ToolErrorCode."""

    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


# ---------------------------------------------------------------------------------------------
# Channel


def send(message):
    """Writes one JSON line to the worker; safe from Blender's render thread."""
    line = json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n"
    with _write_lock:
        _response_stream.write(line)
        _response_stream.flush()


def send_progress(request_id, progress, total, message):
    send({"event": "progress", "id": request_id, "progress": progress, "total": total, "message": message})


# ---------------------------------------------------------------------------------------------
# Colors and small helpers


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
# Materials


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
    if alpha < 1.0:
        material.blend_method = "BLEND"
        material.shadow_method = "HASHED"
        material.show_transparent_back = False
    else:
        material.blend_method = "OPAQUE"
        material.shadow_method = "OPAQUE"
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
    return {
        "name": material.name,
        "baseColor": linear_to_hex(inputs["Base Color"].default_value),
        "metallic": round(inputs["Metallic"].default_value, 4),
        "roughness": round(inputs["Roughness"].default_value, 4),
        "emissionColor": linear_to_hex(inputs["Emission"].default_value),
        "emissionStrength": round(inputs["Emission Strength"].default_value, 4),
        "alpha": round(inputs["Alpha"].default_value, 4),
    }


# ---------------------------------------------------------------------------------------------
# Descriptions (shapes of the contracts' output schemas)


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
        "material": describe_material(obj.active_material) if hasattr(obj.data, "materials") else None,
    }
    primitive = obj.get(PRIMITIVE_PROPERTY)
    if primitive:
        record["primitive"] = str(primitive)
    if obj.type == "FONT":
        record["text"] = obj.data.body
    return record


def describe_light(obj):
    return {
        "name": obj.name,
        "type": LIGHT_TYPE_NAMES.get(obj.data.type, "point"),
        "location": rounded(obj.location),
        "rotation": degrees(obj.rotation_euler),
        "color": linear_to_hex(obj.data.color),
        "energy": round(obj.data.energy, 4),
    }


def describe_camera():
    camera = scene().camera
    if camera is None or camera.type != "CAMERA":
        return None
    return {
        "name": camera.name,
        "location": rounded(camera.location),
        "rotation": degrees(camera.rotation_euler),
        "lens": round(camera.data.lens, 4),
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
    _, node = world_background()
    return {"color": linear_to_hex(node.inputs["Color"].default_value), "strength": round(node.inputs["Strength"].default_value, 4)}


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
# The new-project scene


def new_project_scene(factory_loaded=False):
    """The factory scene without the default cube: one camera aimed at the origin, one light.

    `factory_loaded`: Blender has just started with --factory-startup and nothing has run yet, so
    reloading the factory settings (a large share of the bridge's start-up) would change nothing."""
    if not factory_loaded:
        bpy.ops.wm.read_factory_settings(use_empty=False)
    # No undo history: nobody can undo here, and each step would copy the whole scene in memory.
    bpy.context.preferences.edit.use_global_undo = False
    bpy.context.preferences.edit.undo_steps = 0
    for obj in list(bpy.data.objects):
        if obj.type not in ("CAMERA", "LIGHT"):
            remove_object(obj)
    for material in list(bpy.data.materials):
        if material.users == 0:
            bpy.data.materials.remove(material)
    s = scene()
    camera = s.camera or next((o for o in bpy.data.objects if o.type == "CAMERA"), None)
    if camera is None:
        camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
        link_to_scene(camera)
    s.camera = camera
    camera.location = DEFAULT_CAMERA_LOCATION
    camera.rotation_mode = "XYZ"
    camera.rotation_euler = aim_rotation(DEFAULT_CAMERA_LOCATION, (0.0, 0.0, 0.0))
    camera[TARGET_PROPERTY] = [0.0, 0.0, 0.0]
    camera.data.lens = 50.0
    light = next((o for o in bpy.data.objects if o.type == "LIGHT"), None)
    if light is None:
        light = bpy.data.objects.new("Light", bpy.data.lights.new("Light", "POINT"))
        link_to_scene(light)
    light.location = DEFAULT_LIGHT_LOCATION
    light.data.energy = 1000.0
    _, background = world_background()
    background.inputs["Color"].default_value = (*DEFAULT_WORLD_COLOR, 1.0)
    background.inputs["Strength"].default_value = 1.0
    # "Standard" keeps colors as given: a red material renders red, not Filmic's washed-out red.
    s.view_settings.view_transform = "Standard"
    s.view_settings.look = "None"
    s.render.engine = ENGINE_IDS[DEFAULT_RENDER["engine"]]
    s.render.resolution_x = DEFAULT_RENDER["width"]
    s.render.resolution_y = DEFAULT_RENDER["height"]
    s.render.resolution_percentage = 100
    s.eevee.taa_render_samples = DEFAULT_RENDER["samples"]
    s.cycles.samples = DEFAULT_RENDER["samples"]
    s.cycles.device = "CPU"
    # The Debian build has no OpenImageDenoise; Cycles fails outright when denoising is on.
    s.cycles.use_denoising = False
    s.cycles.use_preview_denoising = False
    s.render.image_settings.file_format = "PNG"
    s.render.image_settings.color_mode = "RGBA"
    s.render.film_transparent = False
    s[JOURNAL_SEQ_PROPERTY] = 0


# ---------------------------------------------------------------------------------------------
# Scene tools

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
        lambda bm: bmesh.ops.create_cone(bm, cap_ends=True, cap_tris=False, segments=32, radius1=1.0, radius2=1.0, depth=2.0, calc_uvs=True),
    ),
    "cone": (
        "Cone",
        lambda bm: bmesh.ops.create_cone(bm, cap_ends=True, cap_tris=False, segments=32, radius1=1.0, radius2=0.0, depth=2.0, calc_uvs=True),
    ),
    "torus": ("Torus", build_torus),
    "plane": ("Plane", lambda bm: bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=1.0, calc_uvs=True)),
    "circle": ("Circle", lambda bm: bmesh.ops.create_circle(bm, cap_ends=False, segments=32, radius=1.0)),
    "monkey": ("Suzanne", lambda bm: bmesh.ops.create_monkey(bm, calc_uvs=True)),
}

# Curved primitives are shaded smooth, with auto smooth keeping hard edges (a cylinder's caps)
# crisp, so a sphere renders as a sphere and not as facets.
SMOOTH_PRIMITIVES = {"uv_sphere", "ico_sphere", "cylinder", "cone", "torus", "monkey"}
AUTO_SMOOTH_ANGLE = math.radians(40)


def shade_smooth(mesh):
    mesh.polygons.foreach_set("use_smooth", [True] * len(mesh.polygons))
    mesh.use_auto_smooth = True
    mesh.auto_smooth_angle = AUTO_SMOOTH_ANGLE


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
            build(bm)
            bm.to_mesh(mesh)
        finally:
            bm.free()
        if kind in SMOOTH_PRIMITIVES:
            shade_smooth(mesh)
        # A free name is taken as given (checked above); otherwise Blender makes the default unique.
        obj = bpy.data.objects.new(name or default_name, mesh)
        link_to_scene(obj)
    else:
        raise BridgeError("invalid_arguments", "Unknown object type %s." % kind)
    obj[PRIMITIVE_PROPERTY] = kind
    apply_transform(obj, args)
    material = ensure_material(obj)
    if args.get("color") is not None:
        set_base_color(material, args["color"])
    return {"object": describe_object(obj)}


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


def delete_object(args):
    obj = find_object(args["name"])
    name = obj.name
    if scene().camera == obj:
        scene().camera = None
    remove_object(obj)
    return {"deleted": name}


def duplicate_object(args):
    source = find_object(args["name"])
    new_name = args.get("newName")
    ensure_name_free(new_name)
    copy = source.copy()
    if source.data is not None:
        copy.data = source.data.copy()
    link_to_scene(copy)
    if new_name is not None:
        copy.name = new_name
    if copy.data is not None and hasattr(copy.data, "materials"):
        for index, material in enumerate(copy.data.materials):
            if material is not None:
                own = material.copy()
                own.name = copy.name
                copy.data.materials[index] = own
        for slot in copy.material_slots:
            if slot.link == "OBJECT" and slot.material is not None:
                slot.material = slot.material.copy()
    if args.get("offset") is not None:
        copy.location = Vector(source.location) + Vector(args["offset"])
    return {"object": describe_object(copy)}


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
        node.inputs["Emission"].default_value = (rgb[0], rgb[1], rgb[2], 1.0)
        if args.get("emissionStrength") is None and node.inputs["Emission Strength"].default_value == 0:
            node.inputs["Emission Strength"].default_value = 1.0
    if args.get("emissionStrength") is not None:
        node.inputs["Emission Strength"].default_value = args["emissionStrength"]
    if args.get("alpha") is not None:
        set_alpha(material, args["alpha"])
    return {"object": describe_object(obj)}


def add_light(args):
    kind = args["type"]
    name = args.get("name")
    ensure_name_free(name)
    default_name = kind.capitalize()
    data = bpy.data.lights.new(name or default_name, LIGHT_TYPE_IDS[kind])
    data.energy = args["energy"] if args.get("energy") is not None else DEFAULT_LIGHT_ENERGY[kind]
    if args.get("color") is not None:
        data.color = args["color"]
    obj = bpy.data.objects.new(name or default_name, data)
    link_to_scene(obj)
    obj.location = args["location"] if args.get("location") is not None else (0.0, 0.0, 5.0)
    if args.get("target") is not None:
        obj.rotation_euler = aim_rotation(obj.location, args["target"])
    return {"light": describe_light(obj)}


def set_camera(args):
    s = scene()
    camera = s.camera
    if camera is None:
        camera = next((o for o in bpy.data.objects if o.type == "CAMERA"), None)
    if camera is None:
        camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
        link_to_scene(camera)
        camera.location = DEFAULT_CAMERA_LOCATION
        camera[TARGET_PROPERTY] = [0.0, 0.0, 0.0]
    s.camera = camera
    if args.get("location") is not None:
        camera.location = args["location"]
    target = args.get("target")
    if target is not None:
        camera[TARGET_PROPERTY] = [float(v) for v in target]
    if target is not None or args.get("location") is not None:
        # Moving without a new target keeps the camera aimed at the point it last looked at.
        aim = list(camera.get(TARGET_PROPERTY, [0.0, 0.0, 0.0]))
        camera.rotation_mode = "XYZ"
        camera.rotation_euler = aim_rotation(camera.location, aim)
    if args.get("lens") is not None:
        camera.data.lens = args["lens"]
    return {"camera": describe_camera()}


def set_world(args):
    _, node = world_background()
    if args.get("color") is not None:
        rgb = args["color"]
        node.inputs["Color"].default_value = (rgb[0], rgb[1], rgb[2], 1.0)
    if args.get("strength") is not None:
        node.inputs["Strength"].default_value = args["strength"]
    return {"world": describe_world()}


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
    }
    if len(after) > limit:
        result["nextCursor"] = page[-1].name
    return result


# ---------------------------------------------------------------------------------------------
# Rendering


class RenderWatch:
    """Turns Blender's render handlers into progress events; some fire on the render thread."""

    def __init__(self, request_id, total):
        self.request_id = request_id
        self.total = total
        self.cancelled = False
        self.updates = 0
        self.last_sent = 0.0
        self.handlers = [
            ("render_pre", self.on_pre),
            ("render_stats", self.on_stats),
            ("render_post", self.on_post),
            ("render_cancel", self.on_cancel),
        ]

    def __enter__(self):
        for name, handler in self.handlers:
            getattr(bpy.app.handlers, name).append(handler)
        return self

    def __exit__(self, *exc):
        for name, handler in self.handlers:
            handlers = getattr(bpy.app.handlers, name)
            if handler in handlers:
                handlers.remove(handler)
        return False

    def on_pre(self, *_):
        send_progress(self.request_id, 0, self.total, "rendering")

    def on_stats(self, *_):
        # Blender 3.4 passes no stats text here; the worker reads sample counts from the log.
        now = time.monotonic()
        self.updates += 1
        if now - self.last_sent >= 0.25:
            self.last_sent = now
            send_progress(self.request_id, 0, self.total, "rendering")

    def on_post(self, *_):
        send_progress(self.request_id, self.total, self.total, "rendered")

    def on_cancel(self, *_):
        self.cancelled = True


def apply_render_settings(s, engine, width, height, samples, output):
    """Sets up scene `s` to render one PNG to `output` (also what `bod bench worker` renders plain Blender with)."""
    s.render.engine = ENGINE_IDS[engine]
    s.render.resolution_x = width
    s.render.resolution_y = height
    s.render.resolution_percentage = 100
    s.render.image_settings.file_format = "PNG"
    s.render.filepath = output
    if engine == "cycles":
        s.cycles.samples = samples
        s.cycles.device = "CPU"
        s.cycles.use_denoising = False
    elif engine == "eevee":
        s.eevee.taa_render_samples = samples
    else:
        # Workbench takes an anti-aliasing level, not a sample count: FXAA, 5, 8, 11, 16 or 32.
        aa_levels = ["5", "8", "11", "16", "32"]
        s.display.render_aa = "FXAA" if samples <= 1 else next((level for level in aa_levels if int(level) >= samples), "32")


def render_frame(args, request_id):
    s = scene()
    engine = args.get("engine") or DEFAULT_RENDER["engine"]
    width = int(args.get("width") or DEFAULT_RENDER["width"])
    height = int(args.get("height") or DEFAULT_RENDER["height"])
    samples = int(args.get("samples") or DEFAULT_RENDER["samples"])
    output = args["output"]
    if "#" in output:
        # Blender would read # as a frame-number placeholder and write elsewhere.
        raise BridgeError("invalid_arguments", "The render output path cannot contain #.")
    if s.camera is None:
        raise BridgeError("invalid_arguments", "The scene has no camera; add one with set_camera first.")
    saved = {
        "engine": s.render.engine,
        "x": s.render.resolution_x,
        "y": s.render.resolution_y,
        "percentage": s.render.resolution_percentage,
        "eevee": s.eevee.taa_render_samples,
        "cycles": s.cycles.samples,
        "aa": s.display.render_aa,
        "filepath": s.render.filepath,
    }
    try:
        apply_render_settings(s, engine, width, height, samples, output)
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        started = time.monotonic()
        with RenderWatch(request_id, samples) as watch:
            bpy.ops.render.render(write_still=True)
        render_ms = (time.monotonic() - started) * 1000
        if watch.cancelled:
            raise BridgeError("cancelled", "The render was cancelled.")
        if not os.path.exists(output):
            raise BridgeError("internal", "Blender finished the render but wrote no image.")
        return {"engine": engine, "width": width, "height": height, "samples": samples, "renderMs": round(render_ms, 1)}
    finally:
        s.render.engine = saved["engine"]
        s.render.resolution_x = saved["x"]
        s.render.resolution_y = saved["y"]
        s.render.resolution_percentage = saved["percentage"]
        s.eevee.taa_render_samples = saved["eevee"]
        s.cycles.samples = saved["cycles"]
        s.display.render_aa = saved["aa"]
        s.render.filepath = saved["filepath"]


# ---------------------------------------------------------------------------------------------
# Files


def export_scene(args):
    fmt = args["format"]
    output = args["output"]
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    files = [output]
    if fmt in ("glb", "gltf"):
        bpy.ops.export_scene.gltf(
            filepath=output,
            export_format="GLB" if fmt == "glb" else "GLTF_EMBEDDED",
            export_apply=True,
            export_cameras=False,
            export_lights=False,
        )
    elif fmt == "obj":
        bpy.ops.wm.obj_export(filepath=output, export_materials=True, export_selected_objects=False)
        mtl = os.path.splitext(output)[0] + ".mtl"
        if os.path.exists(mtl):
            files.append(mtl)
    elif fmt == "stl":
        bpy.ops.export_mesh.stl(filepath=output, use_selection=False)
    elif fmt == "fbx":
        # The model only, as in the other formats: no camera or lights.
        bpy.ops.export_scene.fbx(filepath=output, use_selection=False, object_types={"EMPTY", "MESH", "OTHER", "ARMATURE"})
    elif fmt == "blend":
        bpy.ops.wm.save_as_mainfile(filepath=output, copy=True, compress=True)
    else:
        raise BridgeError("unsupported_format", "Cannot export %s; use glb, gltf, obj, stl, fbx or blend." % fmt)
    if not os.path.exists(output):
        raise BridgeError("internal", "Blender wrote no %s file." % fmt)
    return {"format": fmt, "files": files}


def import_model(args):
    fmt = args["format"]
    path = args["path"]
    if not os.path.exists(path):
        raise BridgeError("artifact_not_found", "The file to import is missing.", {"path": path})
    before = set(bpy.data.objects)
    images_before = set(bpy.data.images)
    deselect_all()
    try:
        if fmt in ("glb", "gltf"):
            restore_numpy_aliases()
            bpy.ops.import_scene.gltf(filepath=path)
        elif fmt == "obj":
            bpy.ops.wm.obj_import(filepath=path)
        elif fmt == "stl":
            bpy.ops.import_mesh.stl(filepath=path)
        elif fmt == "fbx":
            bpy.ops.import_scene.fbx(filepath=path)
        else:
            raise BridgeError("unsupported_format", "Cannot import %s; use glb, gltf, obj, stl or fbx." % fmt)
    except RuntimeError as error:
        for obj in [o for o in bpy.data.objects if o not in before]:
            remove_object(obj)
        # Operator errors carry the importer's traceback; its last line says what went wrong.
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = lines[-1][:300] if lines else "unknown error"
        raise BridgeError("unsupported_format", "Blender could not read the %s file (%s). Check that it is a valid %s." % (fmt, reason, fmt))
    # Textures the model points at are packed into the scene: the imported file may not last.
    for image in bpy.data.images:
        if image not in images_before and image.source == "FILE" and image.packed_file is None:
            try:
                image.pack()
            except RuntimeError:
                sys.stderr.write("bridge: could not pack image %s\n" % image.name)
    created = [o for o in bpy.data.objects if o not in before]
    if not created:
        raise BridgeError("unsupported_format", "The %s file holds nothing Blender could import. Check that it is a valid %s." % (fmt, fmt))
    for obj in created:
        if obj.name not in scene().collection.all_objects:
            link_to_scene(obj)
    location = args.get("location")
    if location is not None:
        for obj in created:
            if obj.parent is None:
                obj.location = Vector(obj.location) + Vector(location)
    return {"objects": sorted(o.name for o in created)}


# ---------------------------------------------------------------------------------------------
# Control commands


def ping(args):
    if TEST_HOOKS and args.get("sleepMs"):
        # Test hook: simulates a command that hangs.
        time.sleep(float(args["sleepMs"]) / 1000)
    return {"blenderVersion": bpy.app.version_string, "pid": os.getpid()}


def reset_scene(_args):
    new_project_scene()
    return {}


def save_snapshot(args):
    s = scene()
    s[JOURNAL_SEQ_PROPERTY] = int(args.get("journalSeq") or 0)
    s[IDEMPOTENCY_KEYS_PROPERTY] = str(args.get("keys") or "[]")
    os.makedirs(os.path.dirname(args["path"]) or ".", exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=args["path"], copy=True, compress=False)
    return {"path": args["path"]}


def load_snapshot(args):
    path = args["path"]
    if not os.path.exists(path):
        raise BridgeError("artifact_not_found", "No snapshot at %s." % path)
    bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    s = scene()
    return {"journalSeq": int(s.get(JOURNAL_SEQ_PROPERTY, 0)), "keys": str(s.get(IDEMPOTENCY_KEYS_PROPERTY, "[]"))}


COMMANDS = {
    "add_object": add_object,
    "update_object": update_object,
    "delete_object": delete_object,
    "duplicate_object": duplicate_object,
    "set_material": set_material,
    "add_light": add_light,
    "set_camera": set_camera,
    "set_world": set_world,
    "clear_scene": clear_scene,
    "get_scene": get_scene,
    "export_scene": export_scene,
    "import_model": import_model,
    "ping": ping,
    "reset_scene": reset_scene,
    "save_snapshot": save_snapshot,
    "load_snapshot": load_snapshot,
}


def handle(request):
    """Runs one command; the answer says how long Blender spent on it ("ms"), pipes excluded."""
    request_id = request.get("id")
    command = request.get("command")
    args = request.get("args") or {}
    started = time.perf_counter()
    try:
        if command == "render_frame":
            result = render_frame(args, request_id)
        elif command in COMMANDS:
            result = COMMANDS[command](args)
        else:
            raise BridgeError("invalid_arguments", "Unknown command %s." % command)
        answer = {"id": request_id, "ok": True, "result": result}
    except BridgeError as error:
        failure = {"code": error.code, "message": error.message}
        if error.data is not None:
            failure["data"] = error.data
        answer = {"id": request_id, "ok": False, "error": failure}
    except Exception as error:  # noqa: BLE001 - every failure must reach the worker as a response
        traceback.print_exc()
        answer = {
            "id": request_id,
            "ok": False,
            "error": {"code": "internal", "message": "%s: %s" % (type(error).__name__, str(error).strip()[:1000])},
        }
    answer["ms"] = round((time.perf_counter() - started) * 1000, 3)
    return answer


def end_with_parent():
    """Asks Linux to stop Blender if the worker dies, so no Blender outlives it (even mid-render)."""
    parent = os.getppid()
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def main():
    global _response_stream
    end_with_parent()
    try:
        channel = os.environ.get("BOD_BRIDGE_CHANNEL")
        if channel:
            # Started by `bod serve`'s launcher before the worker: the worker holds both FIFOs open
            # by now, so neither open waits.
            requests = open(channel + "-requests", "r", encoding="utf-8")
            _response_stream = open(channel + "-responses", "w", encoding="utf-8")
        else:
            requests = os.fdopen(REQUEST_FD, "r", encoding="utf-8")
            _response_stream = os.fdopen(RESPONSE_FD, "w", encoding="utf-8")
    except OSError:
        sys.stderr.write("The bridge needs the worker's pipes on fd 3 and fd 4; start it through the worker.\n")
        sys.stderr.flush()
        os._exit(3)
    new_project_scene(factory_loaded=True)
    send({"event": "ready", "blenderVersion": bpy.app.version_string})
    for line in requests:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError:
            sys.stderr.write("bridge: ignoring a malformed request line\n")
            continue
        send(handle(request))
    # The worker closed the request pipe: it wants Blender gone.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
