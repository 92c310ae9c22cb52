import { describe, expect, it } from "vitest";
import { type EnvRead, findPythonEnvReads } from "./index.js";

/** The reads of a clean source, without the `file` field (checked once, separately). */
function reads(source: string): Omit<EnvRead, "file">[] {
  const result = findPythonEnvReads("app.py", source);
  expect(result.error).toBeUndefined();
  return result.reads.map(({ file: _file, ...rest }) => rest);
}

describe("findPythonEnvReads: os.getenv", () => {
  it("reads a literal key with file, 1-based line and column", () => {
    expect(findPythonEnvReads("src/db.py", 'import os\nurl = os.getenv("DATABASE_URL")\n')).toEqual({
      reads: [{ name: "DATABASE_URL", file: "src/db.py", line: 2, column: 7, via: "os.getenv" }],
    });
  });

  it("keeps the default's source text, positional or keyword", () => {
    expect(reads('import os\na = os.getenv("A", "d")\nb = os.getenv("B", default=3 * 2)')).toEqual([
      { name: "A", line: 2, column: 5, via: "os.getenv", defaultText: '"d"' },
      { name: "B", line: 3, column: 5, via: "os.getenv", defaultText: "3 * 2" },
    ]);
  });

  it("takes `or d` as the default only when the call has none", () => {
    expect(reads('import os\na = os.getenv("A") or "x"\nb = (os.getenv("B", "1")) or "2"')).toEqual([
      { name: "A", line: 2, column: 5, via: "os.getenv", defaultText: '"x"' },
      { name: "B", line: 3, column: 6, via: "os.getenv", defaultText: '"1"' },
    ]);
  });

  it("reports a non-literal key as a dynamic read at its location", () => {
    expect(reads('import os\ndef get(name):\n    return os.getenv(name, "")\nos.getenv(f"X_{k}")')).toEqual([
      { name: undefined, line: 3, column: 12, via: "os.getenv", defaultText: '""', dynamic: true },
      { name: undefined, line: 4, column: 1, via: "os.getenv", dynamic: true },
    ]);
  });
});

describe("findPythonEnvReads: os.environ", () => {
  it("reads subscripts, .get with and without default, and membership tests", () => {
    expect(
      reads(
        'import os\na = os.environ["A"]\nb = os.environ.get("B")\nc = os.environ.get("C", "d")\n' +
          'if "D" in os.environ and "E" not in os.environ:\n    pass',
      ),
    ).toEqual([
      { name: "A", line: 2, column: 5, via: "os.environ" },
      { name: "B", line: 3, column: 5, via: "os.environ.get" },
      { name: "C", line: 4, column: 5, via: "os.environ.get", defaultText: '"d"' },
      { name: "D", line: 5, column: 4, via: "os.environ", presenceCheck: true },
      { name: "E", line: 5, column: 26, via: "os.environ", presenceCheck: true },
    ]);
  });

  it("decodes string literals: single quotes, raw, implicit concatenation, triple quotes", () => {
    expect(
      reads("import os\nos.environ['A']\nos.environ[r'B\\n']\nos.environ['C' \"_D\"]\nos.environ['''E''']"),
    ).toEqual([
      { name: "A", line: 2, column: 1, via: "os.environ" },
      { name: "B\\n", line: 3, column: 1, via: "os.environ" },
      { name: "C_D", line: 4, column: 1, via: "os.environ" },
      { name: "E", line: 5, column: 1, via: "os.environ" },
    ]);
  });

  it("reports non-literal keys as dynamic", () => {
    expect(reads("import os\nos.environ[key]\nos.environ.get(prefix + 'X')")).toEqual([
      { name: undefined, line: 2, column: 1, via: "os.environ", dynamic: true },
      { name: undefined, line: 3, column: 1, via: "os.environ.get", dynamic: true },
    ]);
  });

  it("counts setdefault as a read with a default", () => {
    expect(reads('import os\nos.environ.setdefault("S", "sd")')).toEqual([
      { name: "S", line: 2, column: 1, via: "os.environ", defaultText: '"sd"' },
    ]);
  });

  it("skips writes: assignment targets, chained and tuple targets, del, for targets", () => {
    expect(
      reads(
        'import os\nos.environ["A"] = "y"\nx = os.environ["B"] = "v"\n(a, os.environ["C"]) = 1, 2\n' +
          '[os.environ["D"]] = [1]\ndel os.environ["E"]\ndel a, os.environ["F"]\nfor os.environ["G"] in xs:\n    pass\n' +
          'os.environ["H"] += "x"\ny = os.environ["I"]',
      ),
    ).toEqual([
      // An augmented assignment reads the old value first.
      { name: "H", line: 10, column: 1, via: "os.environ" },
      { name: "I", line: 11, column: 5, via: "os.environ" },
    ]);
  });
});

describe("findPythonEnvReads: imports and aliases", () => {
  it("follows `from os import getenv, environ` and `as` aliases", () => {
    expect(
      reads(
        'from os import getenv, environ as env\nimport os as o\na = getenv("A")\nb = env["B"]\n' +
          'c = env.get("C")\nd = o.getenv("D")\ne = o.environ["E"]',
      ),
    ).toEqual([
      { name: "A", line: 3, column: 5, via: "os.getenv" },
      { name: "B", line: 4, column: 5, via: "os.environ" },
      { name: "C", line: 5, column: 5, via: "os.environ.get" },
      { name: "D", line: 6, column: 5, via: "os.getenv" },
      { name: "E", line: 7, column: 5, via: "os.environ" },
    ]);
  });

  it("follows `from os import *`, `import os.path` and function-local imports", () => {
    expect(
      reads(
        'from os import *\nimport os.path\ndef f():\n    from os import environ as e\n    return e["A"]\ngetenv("B")',
      ),
    ).toEqual([
      { name: "A", line: 5, column: 12, via: "os.environ" },
      { name: "B", line: 6, column: 1, via: "os.getenv" },
    ]);
  });

  it("ignores same-named functions from other modules", () => {
    expect(reads('from mylib import getenv, environ\ngetenv("A")\nenviron["B"]\nother.environ["C"]')).toEqual(
      [],
    );
  });
});

describe("findPythonEnvReads: pydantic settings", () => {
  const settings = [
    "from typing import Annotated, ClassVar",
    "from pydantic import Field",
    "from pydantic_settings import BaseSettings, SettingsConfigDict",
    "",
    "class AppSettings(BaseSettings):",
    '    """Settings."""',
    '    model_config = SettingsConfigDict(env_prefix="app_", env_file=".env")',
    "    database_url: str",
    "    port: int = 8000",
    "    workers: int = Field(4, description='n')",
    "    debug: bool = Field(default=False)",
    '    token: str = Field(alias="api_token")',
    '    region: Annotated[str, Field(validation_alias="AWS_REGION")] = "eu"',
    "    tags: list[str] = Field(default_factory=list)",
    "    secret: str = Field(...)",
    "    name = 'untyped, not a field'",
    "    _cache: dict = {}",
    "    version: ClassVar[str] = '1'",
    "    def url(self) -> str:",
    "        return self.database_url",
  ].join("\n");

  it("reads each annotated field with the prefix, upper-cased, and its default", () => {
    expect(reads(settings)).toEqual([
      { name: "APP_DATABASE_URL", line: 8, column: 5, via: "pydantic" },
      { name: "APP_PORT", line: 9, column: 5, via: "pydantic", defaultText: "8000" },
      { name: "APP_WORKERS", line: 10, column: 5, via: "pydantic", defaultText: "4" },
      { name: "APP_DEBUG", line: 11, column: 5, via: "pydantic", defaultText: "False" },
      // Aliases name the variable as written, without the prefix.
      { name: "API_TOKEN", line: 12, column: 5, via: "pydantic" },
      { name: "AWS_REGION", line: 13, column: 5, via: "pydantic", defaultText: '"eu"' },
      { name: "APP_TAGS", line: 14, column: 5, via: "pydantic", defaultText: "list" },
      { name: "APP_SECRET", line: 15, column: 5, via: "pydantic" },
    ]);
  });

  it("reads `class Config: env_prefix`, module-qualified bases, dict configs and case_sensitive", () => {
    expect(
      reads(
        "import pydantic_settings as ps\nimport pydantic\n" +
          'class A(ps.BaseSettings):\n    class Config:\n        env_prefix = "OLD_"\n    x: int = 1\n' +
          'class B(pydantic.BaseSettings):\n    model_config = {"env_prefix": "Dict_", "case_sensitive": True}\n    y: str\n',
      ),
    ).toEqual([
      { name: "OLD_X", line: 6, column: 5, via: "pydantic", defaultText: "1" },
      { name: "Dict_y", line: 9, column: 5, via: "pydantic" },
    ]);
  });

  it("treats subclasses of a settings class in the same file as settings, inheriting the prefix", () => {
    expect(
      reads(
        'from pydantic_settings import BaseSettings as BS\nclass Base(BS):\n    model_config = {"env_prefix": "P_"}\n' +
          "class Child(Base):\n    z: int = 2\nclass Plain(Model):\n    w: int",
      ),
    ).toEqual([{ name: "P_Z", line: 5, column: 5, via: "pydantic", defaultText: "2" }]);
  });

  it("reports a non-literal alias as dynamic", () => {
    expect(
      reads(
        'from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n    a: int = Field(validation_alias=AliasChoices("A", "B"))',
      ),
    ).toEqual([{ name: undefined, line: 3, column: 5, via: "pydantic", dynamic: true }]);
  });
});

describe("findPythonEnvReads: syntax errors", () => {
  it("returns the first error's location and the reads still recognised", () => {
    const result = findPythonEnvReads("bad.py", 'import os\na = os.getenv("A")\nb = os.getenv("B" +)\n');
    expect(result.error).toMatchObject({ line: 3, column: 20 });
    expect(result.error?.message).toMatch(/syntax error/i);
    expect(result.reads.map((read) => read.name)).toEqual(["A", undefined]);
  });

  it("survives an unterminated definition", () => {
    const result = findPythonEnvReads("bad.py", 'import os\na = os.environ["A"]\ndef f(:\n  x = "open\n');
    expect(result.error).toMatchObject({ line: 3 });
    expect(result.reads).toEqual([{ name: "A", file: "bad.py", line: 2, column: 5, via: "os.environ" }]);
  });

  it("finds nothing in an empty file", () => {
    expect(findPythonEnvReads("empty.py", "")).toEqual({ reads: [] });
  });
});
