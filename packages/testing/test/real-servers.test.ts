// The run's real servers as the scale-out stores use them.
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "@bod/storage";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestBucket, createTestDatabase } from "../src/index.ts";

describe("shared servers", () => {
  it("gives a fresh database", async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query("select current_database() as name");
    expect(db.url).toContain(rows[0].name);
    await client.end();
    await db.drop();
  });
  it("gives a fresh bucket", async () => {
    const bucket = await createTestBucket();
    const s3 = createS3Client(bucket.location);
    await s3.send(new PutObjectCommand({ Bucket: bucket.location.bucket, Key: "a/b", Body: "hello" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket.location.bucket, Key: "a/b" }));
    expect(await got.Body?.transformToString()).toBe("hello");
    await bucket.drop();
  });
});
