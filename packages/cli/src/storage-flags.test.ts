import { describe, expect, it } from "vitest";
import { parseStorageUrls, storageEnvironment } from "./storage-flags.ts";

describe("parseStorageUrls", () => {
  it("defaults to the data dir when nothing is given", () => {
    expect(parseStorageUrls({}, {})).toEqual({ ok: true, urls: {} });
  });

  it("takes PostgreSQL and S3 URLs from flags, and the variables when a flag is absent", () => {
    const parsed = parseStorageUrls(
      { artifactUrl: "s3://renders/bod?endpoint=http://127.0.0.1:9000&forcePathStyle=true" },
      { BOD_STATE_URL: "postgres://bod@db.internal:5432/bod" },
    );
    expect(parsed).toMatchObject({
      ok: true,
      urls: {
        stateUrl: "postgres://bod@db.internal:5432/bod",
        artifactLocation: {
          bucket: "renders",
          prefix: "bod",
          endpoint: "http://127.0.0.1:9000",
          forcePathStyle: true,
          region: "us-east-1",
        },
      },
    });
    if (parsed.ok)
      expect(storageEnvironment(parsed.urls)).toEqual({
        BOD_STATE_URL: "postgres://bod@db.internal:5432/bod",
        BOD_ARTIFACT_URL: "s3://renders/bod?endpoint=http://127.0.0.1:9000&forcePathStyle=true",
      });
  });

  it("names the flag or variable that is wrong and says what is allowed", () => {
    expect(parseStorageUrls({ stateUrl: "mysql://x/y" }, {})).toEqual({
      ok: false,
      message: expect.stringMatching(/^--state-url: expected postgres:\/\/USER@HOST:PORT\/DATABASE/),
    });
    expect(parseStorageUrls({}, { BOD_STATE_URL: "postgres://bod:secret@db/bod" })).toEqual({
      ok: false,
      message: expect.stringMatching(/^BOD_STATE_URL: put the password in PGPASSWORD/),
    });
    expect(parseStorageUrls({ artifactUrl: "s3://B?endpoint=ftp://x" }, {})).toEqual({
      ok: false,
      message: expect.stringMatching(/^--artifact-url: "B" is not a bucket name.*Expected s3:\/\/BUCKET/),
    });
    expect(parseStorageUrls({}, { BOD_ARTIFACT_URL: "s3://bucket?color=red" })).toEqual({
      ok: false,
      message: expect.stringMatching(/^BOD_ARTIFACT_URL: Unknown parameter "color"/),
    });
  });
});
