// The Events module; see ../../README.md and DESIGN.md.
