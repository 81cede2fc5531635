// A write refused because another worker has opened the project's scene since this one did: the
// newest opener owns a scene, so two workers never write one journal. The older worker opens the
// scene again (becoming the owner, with the other's changes) before it serves another call.
import { BodError } from "@bod/contracts";

export class SceneSupersededError extends BodError<"scene_superseded", { projectId: string }> {
  readonly projectId: string;

  constructor(projectId: string) {
    super(
      "scene_superseded",
      `Project ${projectId}'s scene was opened by another worker since this one opened it; the write was refused.`,
      {
        projectId,
      },
    );
    this.name = "SceneSupersededError";
    this.projectId = projectId;
  }

  static is(value: unknown): value is SceneSupersededError {
    return value instanceof SceneSupersededError;
  }
}
