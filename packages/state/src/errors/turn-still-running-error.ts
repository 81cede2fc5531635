// A project that could not be deleted because its running turn did not stop (and give its turn
// lease back) in time; nothing was deleted, so the request can simply be sent again.

export class TurnStillRunningError extends Error {
  readonly projectId: string;

  constructor(projectId: string, waitedMs: number) {
    super(
      `The project's running turn did not stop within ${Math.round(waitedMs / 1000)} s, so the project was not deleted; try again in a moment.`,
    );
    this.name = "TurnStillRunningError";
    this.projectId = projectId;
  }
}
