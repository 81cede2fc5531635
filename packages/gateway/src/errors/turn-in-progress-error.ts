// A message sent to a project while its previous turn is still running.
import { GatewayError } from "./gateway-error.ts";

export class TurnInProgressError extends GatewayError {
  constructor(projectId: string) {
    super("turn_in_progress", "This project is still answering the previous message; wait for it to finish, then send again.", {
      projectId,
    });
    this.name = "TurnInProgressError";
  }
}
