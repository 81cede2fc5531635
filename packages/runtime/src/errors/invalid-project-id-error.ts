// A project id that is not a valid slug; it never reaches the file system or a worker.
import { RuntimeError } from "./runtime-error.ts";

export class InvalidProjectIdError extends RuntimeError {
  constructor(projectId: string) {
    super(
      "invalid_project_id",
      `"${projectId.slice(0, 80)}" is not a project id: use 1 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.`,
      { projectId: projectId.slice(0, 80) },
    );
    this.name = "InvalidProjectIdError";
  }
}
