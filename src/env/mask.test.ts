import { describe, expect, it } from "vitest";
import { maskUrlPasswords } from "./mask.js";

describe("maskUrlPasswords", () => {
  it.each([
    ["postgres://app:s3cret@db:5432/app", "postgres://app:***@db:5432/app"],
    ["redis://:s3cret@cache:6379", "redis://:***@cache:6379"],
    ["amqps://user:pa:ss@mq/vhost", "amqps://user:***@mq/vhost"],
    // Unencoded '@' or '/' in the password: hidden whole (up to the last '@').
    ["postgres://app:p@ss/w@rd@db/app", "postgres://app:***@db/app"],
    [
      'got "mysql://root:toor@localhost/db" twice: mysql://root:toor@h',
      'got "mysql://root:***@localhost/db" twice: mysql://root:***@h',
    ],
    ["POSTGRES://App:S3cret@db", "POSTGRES://App:***@db"],
  ])("masks the password in %j", (text, expected) => {
    expect(maskUrlPasswords(text)).toBe(expected);
  });

  it.each([
    "postgres://app@db:5432/app",
    "https://example.com:8443/path",
    "https://example.com/a@b",
    "user@example.com",
    "plain text: with colons",
  ])("leaves %j alone (no password)", (text) => {
    expect(maskUrlPasswords(text)).toBe(text);
  });

  it("masks credential query parameters", () => {
    expect(maskUrlPasswords("postgres://db/app?user=app&password=s3cret&sslmode=require")).toBe(
      "postgres://db/app?user=app&password=***&sslmode=require",
    );
    expect(maskUrlPasswords("https://api.example.com/v1?api_key=abc123#frag")).toBe(
      "https://api.example.com/v1?api_key=***#frag",
    );
    expect(maskUrlPasswords("https://x.test/?token=t0k&a=1")).toBe("https://x.test/?token=***&a=1");
  });
});
