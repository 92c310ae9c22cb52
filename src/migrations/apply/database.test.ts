import { describe, expect, it } from "vitest";
import { maskDatabaseUrl } from "./database.js";

describe("maskDatabaseUrl", () => {
  it("hides a password that has a space in it (the text pattern stops at whitespace)", () => {
    const shown = maskDatabaseUrl("postgres://deploy:top secret@db.internal:5432/shop");
    expect(shown).toBe("postgres://deploy:***@db.internal:5432/shop");
  });

  it("hides an ordinary password and leaves a URL without one as it is", () => {
    expect(maskDatabaseUrl("postgres://deploy:s3cret@db:5432/shop")).toBe(
      "postgres://deploy:***@db:5432/shop",
    );
    expect(maskDatabaseUrl("postgres://deploy@db/shop")).toBe("postgres://deploy@db/shop");
  });

  it("masks the URLs inside a command line", () => {
    expect(maskDatabaseUrl("psql postgres://deploy:s3cret@db/shop -f x.sql")).toBe(
      "psql postgres://deploy:***@db/shop -f x.sql",
    );
  });
});
