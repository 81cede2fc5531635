// A user name that is taken: names are unique across the whole state.

export class UserExistsError extends Error {
  constructor(name: string) {
    super(`A user named "${name}" already exists.`);
    this.name = "UserExistsError";
  }
}
