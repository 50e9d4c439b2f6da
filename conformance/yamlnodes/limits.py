"""The bounds every hand-written YAML file is read within (scenarios, suites, participant files, negative
catalogues, registries). A file beyond one is refused with its line, never read further.

- `MAX_BYTES`: the file's size. The largest shipped file is a few tens of KiB.
- `MAX_NODES`: values in the document *after* alias expansion. Sizes are counted once per composed node and
  memoised, so a "billion laughs" file (ten aliases of ten aliases of ...) is refused in time linear in its text.
- `MAX_DEPTH`: nesting of mappings and lists (a deeper document would exhaust the recursion of any reader).

Aliases themselves are allowed only where the reader says so (`aliases=True`: scenarios, registries); the
harness's suites, participant files and catalogues refuse them, since nothing there needs one.
"""

MAX_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
