// A user name that is taken: names are unique across the whole state.
import { BodError } from "@bod/contracts";

export class UserExistsError extends BodError<"user_exists", { name: string }> {
  constructor(name: string) {
    super("user_exists", `A user named "${name}" already exists.`, { name });
    this.name = "UserExistsError";
  }
}
