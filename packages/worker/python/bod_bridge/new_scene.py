"""The scene a new project starts with."""

import bpy

from .common import (
    DEFAULT_CAMERA_LOCATION,
    DEFAULT_LIGHT_LOCATION,
    DEFAULT_RENDER,
    DEFAULT_WORLD_COLOR,
    JOURNAL_SEQ_PROPERTY,
    TARGET_PROPERTY,
    aim_rotation,
    link_to_scene,
    remove_object,
    scene,
)
from .compat import ENGINE_IDS
from .describe import world_background

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
    # The view layer still lists the removed objects (as None) until it is brought up to date; the
    # bpy module has no event loop that would do it before the first command.
    bpy.context.view_layer.update()
