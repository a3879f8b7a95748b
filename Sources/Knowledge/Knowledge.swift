// The Knowledge module; see ../../README.md and DESIGN.md.
