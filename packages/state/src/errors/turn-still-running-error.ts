// A project that could not be deleted because its running turn did not stop (and give its turn
// lease back) in time; nothing was deleted, so the request can simply be sent again.
import { BodError } from "@bod/contracts";

export class TurnStillRunningError extends BodError<"turn_still_running", { projectId: string; waitedMs: number }> {
  readonly projectId: string;

  constructor(projectId: string, waitedMs: number) {
    super(
      "turn_still_running",
      `The project's running turn did not stop within ${Math.round(waitedMs / 1000)} s, so the project was not deleted; try again in a moment.`,
      { projectId, waitedMs },
    );
    this.name = "TurnStillRunningError";
    this.projectId = projectId;
  }
}
