// Outside the e2e run the shared servers' helpers fail at once, naming the variable and how to get it.
import { afterEach, describe, expect, it } from "vitest";
import { createTestBucket } from "./test-bucket.ts";
import { createTestDatabase } from "./test-database.ts";
import { POSTGRES_URL_VARIABLE, S3_ENDPOINT_VARIABLE } from "./test-environment.ts";

describe("the test servers' environment", () => {
  const saved = { postgres: process.env[POSTGRES_URL_VARIABLE], s3: process.env[S3_ENDPOINT_VARIABLE] };
  afterEach(() => {
    for (const [name, value] of [
      [POSTGRES_URL_VARIABLE, saved.postgres],
      [S3_ENDPOINT_VARIABLE, saved.s3],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("refuses to create a database or a bucket when the global setup has not run", async () => {
    delete process.env[POSTGRES_URL_VARIABLE];
    delete process.env[S3_ENDPOINT_VARIABLE];
    await expect(createTestDatabase()).rejects.toThrow(/BOD_TEST_POSTGRES_URL is not set.*global setup.*npx vitest run --project e2e/);
    await expect(createTestBucket()).rejects.toThrow(/BOD_TEST_S3_ENDPOINT is not set/);
  });
});
