"""What differs between the Blender versions the bridge runs in (Debian's 3.4, the bpy 4.5 LTS
and 5.0 wheels): engine ids, Principled BSDF input names, smooth shading, material transparency,
import/export operators and their options, Cycles denoising. Every other module asks here instead
of testing the version itself, so supporting another version is a change to this file alone.

Where Blender exposes what it has (an operator, a property, a socket), the helpers look for it
rather than compare version numbers: a point release that moves something back or forth keeps
working, and the version checks that remain say which release made the change."""

import bpy

#: Blender's version as a tuple, e.g. (4, 5, 3).
VERSION = tuple(bpy.app.version)
#: Blender's version as text, e.g. "4.5.3" (without " LTS" or the build hash).
VERSION_STRING = "%d.%d.%d" % VERSION[:3]


#: True when the bridge runs in a Python interpreter that imported the bpy module (the official
#: wheels) rather than inside a Blender executable.
BPY_MODULE = bool(getattr(bpy.app, "module", False)) or not bpy.app.binary_path


def at_least(major, minor=0):
    """True when the running Blender is version major.minor or newer."""
    return VERSION[:2] >= (major, minor)


def blender_info():
    """The running Blender as get_scene and the ready event report it: {"version": "4.5.3"}."""
    return {"version": VERSION_STRING}


# ---------------------------------------------------------------------------------------------
# Render engines


def _eevee_engine_id():
    # "BLENDER_EEVEE" in 3.x and again from 5.0; 4.2 to 4.5 call the new EEVEE "BLENDER_EEVEE_NEXT".
    # The engine enum lists only the current engine outside a render, so the version decides.
    return "BLENDER_EEVEE_NEXT" if at_least(4, 2) and not at_least(5, 0) else "BLENDER_EEVEE"


#: The contracts' engine names -> this Blender's engine ids.
ENGINE_IDS = {"eevee": _eevee_engine_id(), "cycles": "CYCLES", "workbench": "BLENDER_WORKBENCH"}
#: This Blender's engine ids -> the contracts' names (either EEVEE id reads as "eevee").
ENGINE_NAMES = {"BLENDER_EEVEE": "eevee", "BLENDER_EEVEE_NEXT": "eevee", "CYCLES": "cycles", "BLENDER_WORKBENCH": "workbench"}


def engine_id(name):
    """This Blender's id of the contracts' engine `name` ("eevee", "cycles" or "workbench")."""
    return ENGINE_IDS[name]


def engine_name(identifier):
    """The contracts' name of engine id `identifier`; "eevee" for an engine the contracts do not know."""
    return ENGINE_NAMES.get(identifier, "eevee")


def cycles_denoising_available():
    """Whether Cycles can denoise here: it needs OpenImageDenoise, which Debian's 3.4 lacks (Cycles
    fails the render outright when asked to denoise without it)."""
    try:
        import _cycles
    except ImportError:
        return False
    return bool(getattr(_cycles, "with_openimagedenoise", False))


#: Engines that draw through OpenGL (Blender's GPU module); Cycles renders on the CPU without it.
GL_ENGINES = ("eevee", "workbench")
_gl_available = None


def _egl_context_possible():
    """Whether EGL can make an OpenGL 3.3 core context here (what Blender's headless GPU backend
    asks for) on any of the displays a headless Blender tries: Mesa's surfaceless platform
    (llvmpipe without a GPU), the first EGL device (a GPU's driver), the default display."""
    import ctypes

    try:
        egl = ctypes.CDLL("libEGL.so.1")
    except OSError:
        return False
    void_p, c_int = ctypes.c_void_p, ctypes.c_int
    egl.eglGetProcAddress.restype = void_p
    egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    egl.eglGetDisplay.restype = void_p
    egl.eglGetDisplay.argtypes = [void_p]
    egl.eglInitialize.argtypes = [void_p, void_p, void_p]
    egl.eglCreateContext.restype = void_p
    egl.eglCreateContext.argtypes = [void_p, void_p, void_p, void_p]
    egl.eglDestroyContext.argtypes = [void_p, void_p]

    def extension(name, restype, *argtypes):
        address = egl.eglGetProcAddress(name)
        return ctypes.CFUNCTYPE(restype, *argtypes)(address) if address else None

    displays = []
    platform_display = extension(b"eglGetPlatformDisplayEXT", void_p, ctypes.c_uint, void_p, void_p)
    if platform_display is not None:
        displays.append(lambda: platform_display(0x31DD, None, None))  # EGL_PLATFORM_SURFACELESS_MESA
        query_devices = extension(b"eglQueryDevicesEXT", ctypes.c_uint, c_int, ctypes.POINTER(void_p), ctypes.POINTER(c_int))
        if query_devices is not None:
            devices, count = (void_p * 1)(), c_int(0)
            if query_devices(1, devices, ctypes.byref(count)) and count.value > 0:
                displays.append(lambda: platform_display(0x313F, devices[0], None))  # EGL_PLATFORM_DEVICE_EXT
    displays.append(lambda: egl.eglGetDisplay(None))
    # EGL_CONTEXT_MAJOR_VERSION 3, MINOR 3, OPENGL_PROFILE_MASK core, EGL_NONE; no config needed.
    attributes = (c_int * 7)(0x3098, 3, 0x30FB, 3, 0x30FD, 1, 0x3038)
    for open_display in displays:
        display = open_display()
        if not display or not egl.eglInitialize(display, None, None) or not egl.eglBindAPI(0x30A2):  # EGL_OPENGL_API
            continue
        context = egl.eglCreateContext(display, None, None, attributes)
        if context:
            egl.eglDestroyContext(display, context)
            return True
    return False


def gl_available():
    """Whether EEVEE and Workbench can render here: Blender aborts the whole process (it does not
    raise) when it finds no OpenGL, so this is asked before. Probed once, on first use (about
    0.2 s with llvmpipe), not at start-up."""
    global _gl_available
    if _gl_available is None:
        _gl_available = _egl_context_possible()
    return _gl_available


def render_engine_id(name):
    """This Blender's id of engine `name` for a render, refused with a clear error when the engine
    needs OpenGL and this machine has none (Cycles still renders)."""
    if name in GL_ENGINES and not gl_available():
        from .channel import BridgeError

        raise BridgeError(
            "invalid_arguments",
            "%s cannot render here: Blender %s finds no OpenGL (EGL) on this machine. Render with cycles instead, "
            "or install Mesa's EGL and software rasterizer (libegl-mesa0, libgl1-mesa-dri)." % (name, VERSION_STRING),
            {"engine": name, "engines": ["cycles"]},
        )
    return ENGINE_IDS[name]


# ---------------------------------------------------------------------------------------------
# Principled BSDF

#: Input names as 3.x calls them -> as 4.0 and later call them.
PRINCIPLED_RENAMES = {
    "Emission": "Emission Color",
    "Subsurface": "Subsurface Weight",
    "Specular": "Specular IOR Level",
    "Transmission": "Transmission Weight",
    "Clearcoat": "Coat Weight",
    "Clearcoat Roughness": "Coat Roughness",
    "Clearcoat Normal": "Coat Normal",
    "Sheen": "Sheen Weight",
}


def principled_input(node, name):
    """The Principled BSDF `node`'s input called `name` in either version's naming ("Emission" or
    "Emission Color", "Specular" or "Specular IOR Level", ...). Raises KeyError for an unknown name."""
    inputs = node.inputs
    if name in inputs:
        return inputs[name]
    renamed = PRINCIPLED_RENAMES.get(name)
    if renamed is not None and renamed in inputs:
        return inputs[renamed]
    for old, new in PRINCIPLED_RENAMES.items():
        if new == name and old in inputs:
            return inputs[old]
    raise KeyError('The Principled BSDF has no input "%s".' % name)


def clear_principled_emission(node):
    """Sets the Principled BSDF `node` to emit nothing the way 3.x's starts: black at strength 1.
    (4.0's starts white at strength 0, also dark, but get_scene would read differently.)"""
    emission_color_input(node).default_value = (0.0, 0.0, 0.0, 1.0)
    node.inputs["Emission Strength"].default_value = 1.0


def emission_color_input(node):
    """The Principled BSDF's emission color input ("Emission" in 3.x, "Emission Color" from 4.0)."""
    return principled_input(node, "Emission Color")


# ---------------------------------------------------------------------------------------------
# Shading and materials


def shade_smooth(mesh, angle):
    """Shades `mesh` smooth, keeping edges whose faces meet at more than `angle` (radians) sharp.

    3.x: face smoothing plus the mesh's auto smooth. 4.1 removed auto smooth; there the sharp edges
    are marked from the angle once (Mesh.set_sharp_from_angle), which needs no modifier, so the
    object's dimensions and get_scene's view of it stay as they were."""
    count = len(mesh.polygons)
    if hasattr(mesh, "use_auto_smooth"):
        mesh.polygons.foreach_set("use_smooth", [True] * count)
        mesh.use_auto_smooth = True
        mesh.auto_smooth_angle = angle
        return
    if hasattr(mesh, "shade_smooth"):
        mesh.shade_smooth()
    else:
        mesh.polygons.foreach_set("use_smooth", [True] * count)
    if hasattr(mesh, "set_sharp_from_angle"):
        mesh.set_sharp_from_angle(angle=angle)


def set_material_transparency(material, transparent):
    """Makes EEVEE draw `material` blended (alpha below 1) or opaque.

    3.x to 4.1: blend_method BLEND/OPAQUE and shadow_method HASHED/OPAQUE. 4.2 (EEVEE Next)
    replaced both with surface_render_method BLENDED/DITHERED and use_transparent_shadow; Cycles and
    Workbench read the Alpha input either way."""
    if hasattr(material, "surface_render_method"):
        material.surface_render_method = "BLENDED" if transparent else "DITHERED"
        if hasattr(material, "use_transparent_shadow"):
            material.use_transparent_shadow = transparent
    else:
        material.blend_method = "BLEND" if transparent else "OPAQUE"
        if hasattr(material, "shadow_method"):
            material.shadow_method = "HASHED" if transparent else "OPAQUE"
    if transparent and hasattr(material, "show_transparent_back"):
        material.show_transparent_back = False


# ---------------------------------------------------------------------------------------------
# Operators


def operator(path):
    """The operator "module.name" (e.g. "wm.stl_export") when this Blender has it, else None."""
    module, name = path.split(".")
    op = getattr(getattr(bpy.ops, module), name)
    try:
        op.get_rna_type()
    except (KeyError, AttributeError):
        return None
    return op


def operator_options(op, wanted):
    """`wanted` (a dict of keyword arguments) without the keys operator `op` does not take, so one
    set of options serves versions that added or dropped some (glTF's exporter does often)."""
    known = {prop.identifier for prop in op.get_rna_type().properties}
    return {key: value for key, value in wanted.items() if key in known}


def call_operator(paths, wanted):
    """Calls the first operator of `paths` this Blender has with the options of `wanted` it takes.

    Raises LookupError when none exists."""
    for path in paths:
        op = operator(path)
        if op is not None:
            return op(**operator_options(op, wanted))
    raise LookupError("This Blender has none of the operators %s." % ", ".join(paths))


# Per format: the operators that import or export it, newest first. The wm.* operators are
# Blender's own C++ ones (OBJ 3.2/3.3, PLY 3.6, STL 4.1/4.2); the add-on ones went away in 4.0 (OBJ)
# and 4.2 (PLY, STL).
IMPORT_OPERATORS = {
    "obj": ("wm.obj_import", "import_scene.obj"),
    "stl": ("wm.stl_import", "import_mesh.stl"),
    "ply": ("wm.ply_import", "import_mesh.ply"),
    "fbx": ("import_scene.fbx",),
    "gltf": ("import_scene.gltf",),
}
EXPORT_OPERATORS = {
    "obj": ("wm.obj_export", "export_scene.obj"),
    "stl": ("wm.stl_export", "export_mesh.stl"),
    "ply": ("wm.ply_export", "export_mesh.ply"),
    "fbx": ("export_scene.fbx",),
    "gltf": ("export_scene.gltf",),
}


def import_file(fmt, path):
    """Imports `path` as `fmt` ("obj", "stl", "ply", "fbx" or "gltf", which also reads .glb)."""
    return call_operator(IMPORT_OPERATORS[fmt], {"filepath": path})


def export_file(fmt, path, selection_only=False, **options):
    """Exports the scene (or only the selected objects) to `path` as `fmt`.

    `options` are the operator's own keywords; those this version's operator lacks are left out.
    The selection keyword differs by operator and is set here."""
    if fmt == "gltf":
        # 4.2 hid the single-file .gltf (buffers embedded, GLTF_EMBEDDED) behind an add-on preference.
        addon = bpy.context.preferences.addons.get("io_scene_gltf2")
        if addon is not None and hasattr(addon.preferences, "allow_embedded_format"):
            addon.preferences.allow_embedded_format = True
    wanted = dict(options)
    wanted["filepath"] = path
    # wm.* exporters: export_selected_objects; add-on exporters: use_selection.
    wanted["export_selected_objects"] = selection_only
    wanted["use_selection"] = selection_only
    return call_operator(EXPORT_OPERATORS[fmt], wanted)


# ---------------------------------------------------------------------------------------------
# Render output


def set_output_format(image_settings, file_format):
    """Sets the render output's file format ("PNG", "FFMPEG", ...). 5.0 groups the formats by media
    type (image, multi-layer image, video) and takes a video format only once media_type is VIDEO."""
    if hasattr(image_settings, "media_type"):
        image_settings.media_type = "VIDEO" if file_format == "FFMPEG" else "IMAGE"
    image_settings.file_format = file_format


def scene_composites(scene):
    """Whether a render of `scene` goes through its compositor: 5.0 has a compositing node group
    (use_nodes is always on and deprecated); earlier versions have use_nodes."""
    if not scene.render.use_compositing:
        return False
    if hasattr(scene, "compositing_node_group"):
        return scene.compositing_node_group is not None
    return bool(scene.use_nodes)


# ---------------------------------------------------------------------------------------------
# Animation


def action_fcurves(owner):
    """The F-curves animating ID `owner` (an object, light, camera, material, node tree), as a
    collection that iterates and takes .remove(fcurve); None when it has no action.

    Up to 4.3 an action holds its F-curves itself. 4.4 made actions layered, with the F-curves of
    each ID in the channel bag of the slot it uses (action.fcurves stayed as a view until 5.0
    removed it)."""
    data = owner.animation_data
    if data is None or data.action is None:
        return None
    action = data.action
    slot = getattr(data, "action_slot", None)
    if slot is not None and hasattr(action, "layers"):
        from bpy_extras import anim_utils

        bag = anim_utils.action_get_channelbag_for_slot(action, slot)
        return bag.fcurves if bag is not None else None
    return action.fcurves


# ---------------------------------------------------------------------------------------------
# Sky texture


def sky_type_id(name):
    """This Blender's id of the sky model `name` ("nishita" or "hosek_wilkie"), or None when it has none.

    Nishita is "NISHITA" in 3.x and 4.x; 5.0 calls it "SINGLE_SCATTERING" (beside a new
    "MULTIPLE_SCATTERING"). Hosek-Wilkie is "HOSEK_WILKIE" in all of them."""
    known = {item.identifier for item in bpy.types.ShaderNodeTexSky.bl_rna.properties["sky_type"].enum_items}
    wanted = ("HOSEK_WILKIE",) if name == "hosek_wilkie" else ("NISHITA", "SINGLE_SCATTERING", "MULTIPLE_SCATTERING")
    return next((identifier for identifier in wanted if identifier in known), None)


def sky_type_ids():
    """Every sky model id this Blender has, for messages."""
    return sorted(item.identifier for item in bpy.types.ShaderNodeTexSky.bl_rna.properties["sky_type"].enum_items)
